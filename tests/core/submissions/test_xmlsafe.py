"""Safe submission XML parsing: hostile and broken documents are refused with a message; identity is read."""

import pytest

from server.core.ground.errors import InvalidXml
from server.core.submissions.xmlsafe import parse_submission, values_at_paths

PLAIN = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
    'id="household_survey" version="2026112301">'
    "<hh><house_no>12/3</house_no><house_photo>รูปบ้าน.jpg</house_photo></hh>"
    "<members><photo>a.jpg</photo></members><members><photo>b.jpg</photo></members>"
    "<members><photo/></members>"
    "<meta><instanceID>uuid:1111</instanceID><instanceName>บ้าน 12/3</instanceName></meta>"
    "</data>"
).encode()


def test_reads_identity_and_meta_of_a_collect_submission() -> None:
    parsed = parse_submission(PLAIN)
    assert (parsed.root_name, parsed.form_id, parsed.version) == ("data", "household_survey", "2026112301")
    assert parsed.instance_id == "uuid:1111"
    assert parsed.instance_name == "บ้าน 12/3"
    assert parsed.deprecated_id is None


def test_meta_is_matched_by_local_name_in_any_namespace() -> None:
    xml = (
        b'<data id="f" xmlns:orx="http://openrosa.org/xforms"><orx:meta>'
        b"<orx:instanceID>uuid:2</orx:instanceID><orx:deprecatedID>uuid:1</orx:deprecatedID>"
        b"</orx:meta></data>"
    )
    parsed = parse_submission(xml)
    assert (parsed.instance_id, parsed.deprecated_id, parsed.version) == ("uuid:2", "uuid:1", None)


def test_default_xforms_namespace_and_legacy_root_instance_id() -> None:
    xml = b'<data xmlns="http://www.w3.org/2002/xforms" id="f" version="1"><instanceID>uuid:9</instanceID></data>'
    parsed = parse_submission(xml)
    assert parsed.instance_id == "uuid:9" and parsed.root_name == "data"


def test_form_id_falls_back_to_the_root_namespace() -> None:
    xml = b'<data xmlns="http://example.org/old-form"><meta><instanceID>uuid:3</instanceID></meta></data>'
    assert parse_submission(xml).form_id == "http://example.org/old-form"


def test_binary_field_values_are_found_in_groups_and_every_repeat_instance() -> None:
    parsed = parse_submission(PLAIN)
    assert parsed.root is not None
    names = values_at_paths(parsed.root, {"/data/hh/house_photo", "/data/members/photo"})
    assert names == ["รูปบ้าน.jpg", "a.jpg", "b.jpg"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<data id="f"><name>&lol3;</name><meta><instanceID>uuid:x</instanceID></meta></data>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<data id="f"><name>&xxe;</name><meta><instanceID>uuid:x</instanceID></meta></data>"""


@pytest.mark.parametrize(
    ("xml", "words"),
    [
        (BILLION_LAUGHS, "DOCTYPE"),
        (EXTERNAL_ENTITY, "DOCTYPE"),
        (b'<!DOCTYPE data SYSTEM "http://example.org/x.dtd"><data id="f"/>', "DOCTYPE"),
        (b"", "empty"),
        (b"   \n", "empty"),
        (b'<data id="f"><meta><instanceID>uuid:x</instanceID></meta>', "well-formed"),
        (b"not xml at all", "well-formed"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?><data id="f">é</data>'.encode("latin-1"), "UTF-8"),
        (b'<data id="f"><name>\xff\xfe</name><meta><instanceID>uuid:x</instanceID></meta></data>', "UTF-8"),
        ('<data id="f"/>'.encode("utf-16"), "UTF-8"),
        (b'<data id="f"><meta></meta></data>', "instanceID"),
        (b"<data><meta><instanceID>uuid:x</instanceID></meta></data>", "id"),
    ],
)
def test_hostile_or_broken_xml_is_refused_with_a_message(xml: bytes, words: str) -> None:
    with pytest.raises(InvalidXml) as err:
        parse_submission(xml)
    assert words in err.value.message
    assert " / " in err.value.message  # Thai / English


def test_external_entity_content_never_appears() -> None:
    with pytest.raises(InvalidXml) as err:
        parse_submission(EXTERNAL_ENTITY)
    assert "root:" not in err.value.message


def test_size_limit_is_respected() -> None:
    with pytest.raises(InvalidXml) as err:
        parse_submission(PLAIN, max_bytes=100)
    assert "100" in err.value.message
    assert parse_submission(PLAIN, max_bytes=len(PLAIN)).instance_id == "uuid:1111"


def test_utf8_bom_and_declared_utf8_are_accepted() -> None:
    xml = b"\xef\xbb\xbf<?xml version='1.0' encoding='utf-8'?><data id='f'><meta><instanceID>u:1</instanceID></meta></data>"
    assert parse_submission(xml).instance_id == "u:1"


def test_encrypted_manifest_lists_its_files_by_local_name() -> None:
    xml = (
        b'<data xmlns="http://www.opendatakit.org/xforms/encrypted" id="f" version="1" encrypted="yes">'
        b"<base64EncryptedKey>abc</base64EncryptedKey>"
        b'<orx:meta xmlns:orx="http://openrosa.org/xforms"><orx:instanceID>uuid:e</orx:instanceID></orx:meta>'
        b"<media><file>photo.jpg.enc</file></media><encryptedXmlFile>submission.xml.enc</encryptedXmlFile>"
        b"</data>"
    )
    parsed = parse_submission(xml)
    assert parsed.encrypted and parsed.form_id == "f"
    assert parsed.encrypted_files == ("photo.jpg.enc", "submission.xml.enc")
