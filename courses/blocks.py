"""StreamField blocks of a module page: lesson content and activities.

Activity blocks only *place* an activity that lives in its own app; each says
whether it is required for the module's completion. The apps declare them as
activity kinds (courses/activities.py); ModuleBodyBlock takes one child per
kind from there. An activity is identified in progress records by its key,
"<kind>:<pk>" (see `ActivityBlock.activity_key`), so progress survives
reordering blocks and editing the page.
"""

import copy
import threading

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.field_block import ChooserBlock
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


class VideoEmbedBlock(EmbedBlock):
    """Wagtail's EmbedBlock, without the oEmbed look-up for YouTube and Vimeo links.

    Their players are our own iframes (courses/video_embeds.py), so the site's oEmbed HTML is never used, and
    a server that cannot reach the video site (closed networks) still accepts the link.
    """

    def clean(self, value):
        from .video_embeds import timed_embed

        if timed_embed(getattr(value, "url", None)) is not None:
            return blocks.FieldBlock.clean(self, value)
        return super().clean(value)


class VideoBlock(blocks.StructBlock):
    """A video: an uploaded file (served by the site) or an embed, not both."""

    title = blocks.CharBlock(required=False, label=_("Title"))
    file = DocumentChooserBlock(required=False, label=_("Video file"), help_text=_("An MP4 or WebM file."))
    embed = VideoEmbedBlock(
        required=False, label=_("Embed URL"),
        help_text=_(
            "A link to a video on a video site. YouTube and Vimeo report how much the learner watched: enter the "
            "video's length below and watching it becomes a step of the module. Other sites (Bilibili, Tencent "
            "Video, Youku, …) report nothing, so their video does not count as watched; the lesson's study time "
            "still counts."
        ),
    )
    # The server cannot read an embedded video's file: the trainer's figure is the length watching is measured
    # against (courses/video_embeds.py says why the player's own figure is not trusted).
    duration = blocks.CharBlock(
        required=False, max_length=8, label=_("Length of the embedded video"),
        help_text=_("For a YouTube or Vimeo link: the length shown by the site, as minutes:seconds (e.g. 12:34) "
                    "or hours:minutes:seconds."),
    )

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

        from .video_embeds import tracked_embed
        from .video_progress import percent, watched_share
        from .video_watching import is_watched

        context = super().get_context(value, parent_context=parent_context)
        parent = parent_context or {}
        block_id, page = parent.get("block_id"), parent.get("page")
        player = None if value.get("file") else tracked_embed(value)
        if player is not None:
            request = parent.get("request")
            site_origin = f"{request.scheme}://{request.get_host()}" if request is not None else ""
            context.update(player=player, player_src=player.player_src(site_origin))
        if (value.get("file") or player) and block_id and page is not None and parent.get("enrolment"):
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
        from .video_embeds import embed_url, parse_length, timed_embed
        from .video_watching import MAX_DURATION, MIN_DURATION

        if bool(value.get("file")) == bool(value.get("embed")):
            raise blocks.StructBlockValidationError(
                block_errors={"file": ValidationError(_("Choose a video file or enter an embed URL (one of the two)."))}
            )
        length_text = (value.get("duration") or "").strip()
        length = parse_length(length_text)
        if length_text and (length is None or not MIN_DURATION <= length <= MAX_DURATION):
            raise blocks.StructBlockValidationError(block_errors={"duration": ValidationError(
                _("Enter the length as minutes:seconds (e.g. 12:34) or hours:minutes:seconds, at most 12 hours."))})
        if timed_embed(embed_url(value)) is not None and length is None:
            raise blocks.StructBlockValidationError(block_errors={"duration": ValidationError(
                _("Enter the video's length: watching a YouTube or Vimeo video is measured against it."))})
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

    def bulk_to_python(self, values):
        """The StreamField's conversion of this block's stored values, with the placed activity read by a compiled
        read when the values place one activity (a module page's usual case: every view of a quiz or H5P module).

        Wagtail's chooser reads it with `in_bulk`, whose SQL the ORM built anew on every page view; the compiled
        read (shixun.config.compiled) runs the same `pk = …` lookup as bound SQL. The answer is the chooser's:
        the instance, None for an activity deleted since, a distinct copy for each repeat. Anything else (several
        activities, a chooser of another shape) goes through Wagtail unchanged.
        """
        target = self.child_blocks.get(self.target_field)
        pks = {value.get(self.target_field) for value in values} - {None}
        pk = next(iter(pks)) if len(pks) == 1 else None
        if not isinstance(target, ChooserBlock) or type(pk) is not int:
            return super().bulk_to_python(values)
        rest = super().bulk_to_python([{k: v for k, v in value.items() if k != self.target_field} for value in values])
        found = _activity_by_pk(target.model_class, pk)
        for value, struct in zip(values, rest, strict=True):
            if value.get(self.target_field) is None:
                continue
            struct[self.target_field] = found
            found = copy.copy(found)
        return rest

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


_ACTIVITY_READS: dict = {}
_activity_reads_lock = threading.Lock()


def _activity_by_pk(model, pk):
    """One activity row by its primary key, as `model.objects.in_bulk([pk]).get(pk)` answers; SQL compiled once."""
    from shixun.config.compiled import CompiledValues, concrete_attnames

    read = _ACTIVITY_READS.get(model)
    if read is None:
        with _activity_reads_lock:
            read = _ACTIVITY_READS.setdefault(model, CompiledValues(
                lambda pk: model.objects.filter(pk=pk).values(*concrete_attnames(model)), pk=-2_073_180_131
            ))
    found = read.instances(model, pk=pk)
    return found[0] if found else None


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
    """A lesson video whose player reports what was watched, so watching it is a step of the module.

    An uploaded file, or an embed of a site whose player reports its time (YouTube, Vimeo) with its length
    entered (courses/video_embeds.py). Other embeds (Bilibili, Tencent Video, …) report nothing: content only.
    """
    from .video_embeds import tracked_embed

    if not isinstance(child.block, VideoBlock):
        return False
    return bool(child.value.get("file")) or tracked_embed(child.value) is not None


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

