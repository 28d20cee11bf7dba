from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """Local storage for private media: files here have no URL at all.

    Plain FileSystemStorage falls back to MEDIA_URL when base_url is None;
    refusing to build a URL makes any template or view that tries to link a
    private file directly fail loudly instead of leaking a path.
    """

    def url(self, name):
        raise ValueError("Private files have no URL; stream them through a permission-checked view.")
