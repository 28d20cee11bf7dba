"""StreamField blocks of a module page: lesson content and activities.

Activity blocks only *place* an activity that lives in its own app; each says
whether it is required for the module's completion. The apps declare them as
activity kinds (courses/activities.py); ModuleBodyBlock takes one child per
kind from there. An activity is identified in progress records by its key,
"<kind>:<pk>" (see `ActivityBlock.activity_key`), so progress survives
reordering blocks and editing the page.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

# The lesson content itself (text, images, video, documents) is one implicit
# activity per module: done after the module's minimum study time (courses.study), never on opening.
LESSON_KEY = "lesson"
# Each uploaded lesson video is a required step of its module too, "video:<block id>": watched when enough of
# its timeline is covered (courses/video_watching.py). The StreamField block id survives revisions.
VIDEO_KIND = "video"


def video_key(block_id: str) -> str:
    return f"{VIDEO_KIND}:{block_id}"

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr", "blockquote"]


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(required=False, label=_("Caption"))
    alt_text = blocks.CharBlock(
        required=False, label=_("Alternative text"), help_text=_("Describe the image for people who cannot see it.")
    )

    class Meta:
        icon = "image"
        label = _("Image")
        template = "courses/blocks/image.html"


class VideoBlock(blocks.StructBlock):
    """A video: an uploaded file (served by the site) or an embed, not both."""

    title = blocks.CharBlock(required=False, label=_("Title"))
    file = DocumentChooserBlock(required=False, label=_("Video file"), help_text=_("An MP4 or WebM file."))
    embed = EmbedBlock(required=False, label=_("Embed URL"), help_text=_("A link to a video on a video site."))

    class Meta:
        icon = "media"
        label = _("Video")
        template = "courses/blocks/video.html"

    def get_context(self, value, parent_context=None):
        """On a module page, an enrolled learner's uploaded video reports what was watched (courses/video.js).

        The module template passes the block's id (`include_block … with block_id=…`): a block's value does
        not know it, and the id names the video in progress records.
        """
        from django.urls import reverse

        from .video_progress import percent, watched_share
        from .video_watching import is_watched

        context = super().get_context(value, parent_context=parent_context)
        parent = parent_context or {}
        block_id, page = parent.get("block_id"), parent.get("page")
        if value.get("file") and block_id and page is not None and parent.get("enrolment"):
            watch = (parent.get("video_watches") or {}).get(block_id)
            context.update(
                report_url=reverse("courses:video_report", args=[page.pk, block_id]),
                step_key=video_key(block_id),
                watched_percent=percent(watch.covered_seconds, watch.duration) if watch else 0,
                video_watched=bool(watch) and is_watched(watch.covered, watch.duration, watched_share()),
            )
        return context

    def clean(self, value):
        value = super().clean(value)
        if bool(value.get("file")) == bool(value.get("embed")):
            raise blocks.StructBlockValidationError(
                block_errors={"file": ValidationError(_("Choose a video file or enter an embed URL (one of the two)."))}
            )
        return value


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    description = blocks.CharBlock(required=False, label=_("Description"))

    class Meta:
        icon = "doc-full"
        label = _("Document")
        template = "courses/blocks/document.html"


class ActivityBlock(blocks.StructBlock):
    """Base of every activity block: places one activity and marks it required or not."""

    kind = ""  # the activity kind's key ("quiz", …): the prefix of the activity key
    target_field = ""  # name of the chooser child that holds the activity

    required = blocks.BooleanBlock(
        required=False,
        default=True,
        label=_("Required for completion"),
        help_text=_("The module is complete only when every required activity is done."),
    )

    def get_activity(self, value):
        return value.get(self.target_field)

    def activity_key(self, value) -> str | None:
        activity = self.get_activity(value)
        return f"{self.kind}:{activity.pk}" if activity is not None else None

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        key = self.activity_key(value)
        statuses = (parent_context or {}).get("activity_statuses", {})
        context.update(
            activity=self.get_activity(value),
            activity_key=key,
            activity_status=statuses.get(key),
            required=value.get("required"),
        )
        return context


class ModuleBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES, label=_("Text"), template="courses/blocks/paragraph.html"
    )
    image = ImageBlock()
    video = VideoBlock()
    document = DocumentBlock()
    # …then one block per activity kind (quiz, assignment, h5p, …), declared by the apps.

    class Meta:
        block_counts = {}

    def __init__(self, local_blocks=None, **kwargs):
        from .activities import activity_blocks

        super().__init__([*activity_blocks(), *(local_blocks or [])], **kwargs)


def is_tracked_video(child) -> bool:
    """An uploaded lesson video: its player reports what was watched, so watching it is a step of the module.

    An embedded player (a video site's iframe) reports nothing to the page, so an embed stays content only.
    """
    return isinstance(child.block, VideoBlock) and bool(child.value.get("file"))


def activity_requirements(body) -> list[tuple[str, bool]]:
    """The (activity key, required) pairs a module body places, in page order, without duplicates.

    Every uploaded video (is_tracked_video) is required; each activity block says whether it is.
    """
    seen: dict[str, bool] = {}
    for child in body:
        if is_tracked_video(child):
            seen[video_key(child.id)] = True
        elif isinstance(child.block, ActivityBlock):
            key = child.block.activity_key(child.value)
            if key is not None:
                seen[key] = seen.get(key, False) or bool(child.value.get("required"))
    return list(seen.items())

