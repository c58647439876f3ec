"""HTML to PDF with WeasyPrint, offline: the one place any app renders a PDF.

``html_to_pdf(html, base_url=...)`` lays out an HTML page (rendered from the same template as
the page on screen, with print media: ``static/css/print.css``) into PDF bytes. Nothing is
fetched from the network at render time: the URL fetcher serves the site's static files
from disk (the collected ``STATIC_ROOT`` first, then the static finders, as ``runserver``
does) and ``data:`` URLs, and refuses every other URL (WeasyPrint then leaves that resource
out and renders the rest).

WeasyPrint is imported on first use: it needs system libraries (Pango, HarfBuzz; installed
by ``.ci/run`` and the Dockerfile, see the README) that ``make demo`` does not require.
Without them ``PdfUnavailable`` is raised, which pages and the API answer with a 503 that
says so (``pdf_unavailable_response``), never a 500.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.http import HttpResponse

logger = logging.getLogger(__name__)

PDF_UNAVAILABLE_MESSAGE = (
    "PDF export is not available on this server: WeasyPrint or its system libraries "
    "(Pango, HarfBuzz) are not installed. The printable page gives the same content."
)


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot be imported here (the package or its system libraries are missing).
    ``str()`` is a sentence for the reader; the import error is the ``__cause__``."""


def weasyprint_module():
    """The ``weasyprint`` module, imported now. Raises ``PdfUnavailable`` when the package is
    missing (ImportError) or its shared libraries cannot be loaded (OSError from cffi)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        logger.warning("WeasyPrint unavailable: %s", exc)
        raise PdfUnavailable(PDF_UNAVAILABLE_MESSAGE) from exc
    return weasyprint


def static_file_path(url: str, *, base_url: str) -> Path | None:
    """The file on disk that a static URL of this site names, or None when ``url`` is not
    under ``base_url`` + ``STATIC_URL`` or no such file exists. Path traversal (``..``) is
    refused."""
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import staticfiles_storage

    parts, base = urlsplit(url), urlsplit(base_url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    path = unquote(parts.path)
    if not path.startswith(prefix):
        return None
    name = posixpath.normpath(path[len(prefix) :])
    if name.startswith(("..", "/")) or "\x00" in name:
        return None
    try:
        collected = Path(staticfiles_storage.path(name))
    except Exception:  # a storage without local paths, or a name it refuses
        collected = None
    if collected is not None and collected.is_file():
        return collected
    found = finders.find(name)
    return Path(found) if found else None


def offline_fetcher(*, base_url: str):
    """A WeasyPrint URL fetcher that reads this site's static files from disk and ``data:``
    URLs, and refuses everything else (no network access at render time)."""
    weasyprint_module()  # PdfUnavailable rather than an ImportError below
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OfflineFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = static_file_path(url, base_url=base_url)
            if path is None:
                raise ValueError(f"Not fetched (PDFs are rendered offline): {url[:200]}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, path.read_bytes(), headers={"Content-Type": content_type}
            )

    return OfflineFetcher()


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    """PDF bytes of ``html`` laid out for print media.

    ``base_url``: the site's absolute root (e.g. ``request.build_absolute_uri("/")`` or
    ``SITE_URL``) against which relative links and static URLs resolve; links stay links in
    the PDF, static files are read from disk, nothing is fetched. Raises ``PdfUnavailable``
    when WeasyPrint cannot be loaded."""
    return html_to_pdf_pages(html, base_url=base_url)[0]


def html_to_pdf_pages(html: str, *, base_url: str) -> tuple[bytes, int]:
    """``html_to_pdf`` with the number of pages laid out: ``(PDF bytes, pages)``."""
    weasyprint = weasyprint_module()
    base_url = base_url.rstrip("/") + "/"
    document = weasyprint.HTML(
        string=html, base_url=base_url, url_fetcher=offline_fetcher(base_url=base_url)
    ).render()
    return document.write_pdf(), len(document.pages)


class PDFRenderer:
    """DRF renderer of ``application/pdf`` (format ``pdf``) for endpoints that return a PDF
    as a plain ``HttpResponse`` (``pdf_response``): it lets a client ask for the PDF by
    ``Accept`` or ``?format=pdf``. Errors are rendered as JSON by the API's exception handler
    whatever was asked, so this passes bytes through and renders nothing else."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        """The PDF bytes as given; anything else renders as nothing."""
        return data if isinstance(data, bytes) else b""


def pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    """An ``application/pdf`` response offered for download as ``filename``."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def pdf_unavailable_response(exc: PdfUnavailable) -> HttpResponse:
    """503 with the reason in plain text (a missing system library is no server error)."""
    response = HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "3600"
    return response
