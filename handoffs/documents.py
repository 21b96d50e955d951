"""Whether an upload is the document its name says: read its structure, not its first bytes.

Five bytes of ``%PDF-`` make neither a PDF nor a Word file. A PDF must parse
(pypdf) and have at least one page, or be encrypted (its pages cannot be counted
without the password, which is still a real document); a DOCX must be a ZIP whose
``[Content_Types].xml`` declares a Word main document that the archive contains.
"""

import logging
import zipfile
from typing import IO
from xml.etree import ElementTree

from pypdf import PdfReader

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CONTENT_TYPES = "[Content_Types].xml"
# A real [Content_Types].xml is a few kilobytes; more is not read.
CONTENT_TYPES_MAX_BYTES = 1024 * 1024


def is_pdf(upload: IO[bytes]) -> bool:
    upload.seek(0)
    # pypdf logs at warning level for every oddity of a real-world file.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(upload)
        return reader.is_encrypted or len(reader.pages) > 0
    except Exception:
        return False
    finally:
        upload.seek(0)


def is_docx(upload: IO[bytes]) -> bool:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            info = archive.getinfo(CONTENT_TYPES)
            if info.file_size > CONTENT_TYPES_MAX_BYTES:
                return False
            types = ElementTree.fromstring(archive.read(info))  # noqa: S314 - no entities expanded
            names = set(archive.namelist())
            return any(
                element.get("ContentType") == WORD_MAIN
                and element.get("PartName", "").lstrip("/") in names
                for element in types
                if element.tag.endswith("Override")
            )
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError):
        return False
    finally:
        upload.seek(0)
