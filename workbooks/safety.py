"""File safety: refuse what is not a plain workbook before anything is stored or parsed.

:func:`inspect_workbook_file` looks at the bytes only (never the file name): the size; the
signature (old .xls and password-protected files are OLE, a workbook is a zip); the zip's
central directory (number of parts and the sum of their declared uncompressed sizes: zipfile
never inflates a part past its declared size and then fails its CRC, so a lying header cannot
get more past us); encryption and macros; and every part for DTD or entity declarations,
which Excel, WPS and LibreOffice never write (XML bombs).

An XML part may be written in any encoding a parser accepts: UTF-8, UTF-16 or UTF-32 with or
without a byte-order mark, or whatever its declaration names (ISO-8859-1, UTF-7, EBCDIC…).
A byte scan for ``<!DOCTYPE`` sees only the ASCII-compatible ones, so each part is also
decoded the way a parser would read it (XML 1.0 appendix F: the byte-order mark, the pattern
of its first bytes, then its declaration) and the text is scanned. A part whose encoding
Python cannot name is refused: nothing reads what we cannot check.

:func:`count_rows` counts the rows holding a value on the first worksheet by a streaming,
defused pass over its XML (never from ``<dimension>``, which the app's own export does not
write and anyone can forge); it chooses between checking in the request and in the worker.
"""

from __future__ import annotations

import codecs
import posixpath
import re
import zipfile
from typing import IO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from defusedxml.ElementTree import iterparse as safe_iterparse
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
ZIP_SIGNATURE = b"PK\x03\x04"
SHEET_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}
MACRO_MAIN_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XML_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
DECLARATION_TEXT = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
SCAN_CHUNK = 1 << 16
SNIFF_BYTES = 256
# Encodings whose bytes for "<!DOCTYPE" are those ASCII bytes: the byte scan covers them.
BYTE_SCANNED = {"utf-8", "utf_8", "ascii", "us-ascii"}
BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
EBCDIC_XML = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC (cp037)
DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})""")

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OFFICE_DOCUMENT = REL_NS + "/officeDocument"
DEFAULT_SHEET = "xl/worksheets/sheet1.xml"


class ImportRefused(Exception):
    """The file is refused as a whole; ``message`` tells the user why. Nothing is stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


NOT_XLSX = gettext_lazy(
    "This is not an Excel workbook (.xlsx). Download the template, fill it in and upload it."
)


def damaged() -> ImportRefused:
    """The refusal of a file that cannot be read as a workbook."""
    return ImportRefused(_("The file is damaged and cannot be read as a workbook."))


def xml_bomb() -> ImportRefused:
    """The refusal of a file declaring XML entities (a possible XML bomb)."""
    return ImportRefused(
        _(
            "The file contains XML entity declarations, which Excel never writes; it is "
            "refused for safety (possible XML bomb)."
        )
    )


def inspect_workbook_file(fileobj: IO[bytes], *, size: int) -> None:
    """Raise :class:`ImportRefused` unless ``fileobj`` is a plain .xlsx within the limits.

    Looks at the bytes only (never the file name), reads the zip's central directory and
    scans each part, in its own encoding, for DTD declarations; no spreadsheet parser has
    seen the file yet.
    """
    limit = settings.LEDGER_IMPORT_MAX_BYTES
    if size > limit:
        raise ImportRefused(
            _("The file is %(size)s; files up to %(limit)s are accepted.")
            % {"size": _megabytes(size), "limit": _megabytes(limit)}
        )
    if size == 0:
        raise ImportRefused(_("The file is empty."))
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(OLE_SIGNATURE):
        raise ImportRefused(
            _(
                "This is an old Excel 97-2003 (.xls) file or a workbook with a password. "
                "Save it in Excel as “Excel workbook (.xlsx)” without a password and upload "
                "it again."
            )
        )
    if not head.startswith(ZIP_SIGNATURE):
        raise ImportRefused(str(NOT_XLSX))
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise damaged() from exc
    with archive:
        _inspect_archive(archive)
    fileobj.seek(0)


def inspect_upload(upload: UploadedFile) -> None:
    """:func:`inspect_workbook_file` for an uploaded file."""
    assert upload.file is not None  # an uploaded file always has one
    inspect_workbook_file(upload.file, size=upload.size or 0)


def _inspect_archive(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    if len(infos) > settings.LEDGER_IMPORT_MAX_ZIP_ENTRIES:
        raise ImportRefused(
            _("The file holds %(count)d parts, more than a workbook ever has; refused.")
            % {"count": len(infos)}
        )
    expanded = sum(info.file_size for info in infos)
    if expanded > settings.LEDGER_IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise ImportRefused(
            _(
                "The file would expand to %(size)s when opened (the limit is %(limit)s); "
                "refused as a possible zip bomb."
            )
            % {
                "size": _megabytes(expanded),
                "limit": _megabytes(settings.LEDGER_IMPORT_MAX_UNCOMPRESSED_BYTES),
            }
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise ImportRefused(_("The file is encrypted; save it without a password."))
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        raise ImportRefused(str(NOT_XLSX))
    for info in infos:
        scan_part(archive, info)
    try:
        types = safe_fromstring(archive.read("[Content_Types].xml"))
    except DefusedXmlException as exc:
        raise xml_bomb() from exc
    except Exception as exc:  # ParseError and friends: not a workbook's manifest
        raise ImportRefused(str(NOT_XLSX)) from exc
    content_types = {element.get("ContentType", "") for element in types.iter()}
    if MACRO_MAIN_TYPE in content_types:
        raise ImportRefused(
            _("Workbooks with macros (.xlsm) are not accepted; save it as .xlsx without macros.")
        )
    if not content_types & SHEET_MAIN_TYPES:
        raise ImportRefused(str(NOT_XLSX))


def sniff_encoding(head: bytes) -> str | None:
    """The encoding an XML parser would read ``head`` (a part's first bytes) in, or None
    when the part is not XML text at all (an image, say)."""
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    sample = head[:16]
    if len(sample) >= 8:
        # No mark: the zero bytes of a "<" (or of leading white space) give it away.
        if all(b == 0 for i, b in enumerate(sample) if i % 4 != 3) and sample[3]:
            return "utf-32-be"
        if all(b == 0 for i, b in enumerate(sample) if i % 4 != 0) and sample[0]:
            return "utf-32-le"
        if all(b == 0 for b in sample[0::2]) and any(sample[1::2]):
            return "utf-16-be"
        if all(b == 0 for b in sample[1::2]) and any(sample[0::2]):
            return "utf-16-le"
    if head.startswith(EBCDIC_XML):
        return "cp037"
    declared = DECLARED_ENCODING.match(head)
    if declared:
        return declared.group(1).decode("ascii").lower()
    if head.lstrip().startswith(b"<"):
        return "utf-8"
    return None


def scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Inflate one part in chunks (at most its declared size) looking for DTD declarations,
    in its bytes and, for XML in another encoding, in its decoded text."""
    tail = b""
    text_tail = ""
    decoder: codecs.IncrementalDecoder | None = None
    first = True
    try:
        with archive.open(info) as part:
            while chunk := part.read(SCAN_CHUNK):
                window = tail + chunk
                if any(marker in window for marker in XML_DECLARATIONS):
                    raise xml_bomb()
                tail = window[-16:]
                if first:
                    first = False
                    decoder = _decoder_for(chunk[:SNIFF_BYTES])
                if decoder is not None:
                    text = text_tail + decoder.decode(chunk)
                    if DECLARATION_TEXT.search(text):
                        raise xml_bomb()
                    text_tail = text[-16:]
            if decoder is not None and DECLARATION_TEXT.search(
                text_tail + decoder.decode(b"", final=True)
            ):
                raise xml_bomb()
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, RuntimeError) as exc:
        raise damaged() from exc


def _decoder_for(head: bytes) -> codecs.IncrementalDecoder | None:
    """A decoder for a part that is XML in an encoding the byte scan does not cover."""
    encoding = sniff_encoding(head)
    if encoding is None or encoding.replace("_", "-") in BYTE_SCANNED:
        return None
    try:
        factory = codecs.getincrementaldecoder(encoding)
    except LookupError as exc:
        raise ImportRefused(
            _(
                "A part of the file is written in the text encoding “%(encoding)s”, which "
                "Excel never uses; it is refused for safety."
            )
            % {"encoding": encoding}
        ) from exc
    return factory(errors="replace")


# --- counting rows ---------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target path) of a part's relationships."""
    try:
        root = safe_fromstring(archive.read(_rels_path(part) if part else "_rels/.rels"))
    except KeyError:
        return {}
    return {
        rel.get("Id", ""): (rel.get("Type", ""), _target(part, rel.get("Target", "")))
        for rel in root
        if _local(rel.tag) == "Relationship"
    }


def first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The part holding the workbook's first worksheet (the one the importer reads)."""
    try:
        workbook = next(
            (t for kind, t in _relationships(archive, "").values() if kind == OFFICE_DOCUMENT),
            "xl/workbook.xml",
        )
        rels = _relationships(archive, workbook)
        root = safe_fromstring(archive.read(workbook))
        for element in root.iter():
            if _local(element.tag) == "sheet":
                rel = element.get(f"{{{REL_NS}}}id", "")
                if rel in rels:
                    return rels[rel][1]
                break
    except KeyError:
        pass
    return DEFAULT_SHEET


def count_rows(fileobj: IO[bytes]) -> int:
    """Rows holding at least one value on the first worksheet, by a streaming pass over its
    XML (memory stays flat: each row is dropped once counted)."""
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive, archive.open(first_sheet_path(archive)) as part:
            count = 0
            has_value = False
            parent = None
            for event, element in safe_iterparse(part, events=("start", "end"), forbid_dtd=True):
                tag = _local(element.tag)
                if event == "start":
                    if tag == "sheetData":
                        parent = element
                    elif tag == "row":
                        has_value = False
                    continue
                if tag in ("v", "t"):
                    has_value = has_value or bool(element.text and element.text.strip())
                elif tag == "row":
                    count += has_value
                    if parent is not None:
                        parent.clear()  # the rows counted so far: only this one is left
        return count
    except DefusedXmlException as exc:
        raise xml_bomb() from exc
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, SyntaxError) as exc:
        raise damaged() from exc
    finally:
        fileobj.seek(0)
