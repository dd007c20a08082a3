"""Loading and validating the program catalog (db/catalog/*.toml)."""

import shutil
from pathlib import Path

import pytest

from certportal.db import bind, database
from certportal.domain.catalog import (
    CatalogError,
    CatalogSummary,
    Changes,
    load_catalog,
    validate_tree,
)
from certportal.models import (
    ALL_MODELS,
    Agreement,
    Certification,
    Exam,
    FulfillmentItem,
    LogoFile,
)

DEMO_CATALOG = Path(__file__).resolve().parents[2] / "db" / "catalog"
CATALOG_MODELS = (Exam, Certification, Agreement, LogoFile, FulfillmentItem)

# The smallest valid catalog; broken entries go in broken.toml, which sorts after it.
BASE_TOML = """
[[exam]]
code = "200-301"
name = "CCNA"
validity_months = 36

[[certification]]
code = "CCNA"
abbreviation = "CCNA"
name = "CCNA"
group = "Associate"
group_order = 20
validity_months = 36
earn = { type = "exam", exams = ["200-301"] }
"""


@pytest.fixture(autouse=True)
def catalog_database(tmp_path):
    bind(f"sqlite:///{tmp_path}/t.sqlite3")
    database.create_tables(ALL_MODELS)
    yield
    database.close()


def toml_entry(kind: str, fields: dict[str, str | None], changes: dict[str, str | None]) -> str:
    """One [[kind]] table from TOML value literals; a change to None leaves the field out."""
    merged = {**fields, **changes}
    return f"[[{kind}]]\n" + "".join(f"{k} = {v}\n" for k, v in merged.items() if v is not None)


def exam(**changes) -> str:
    return toml_entry("exam", {"code": '"300-410"', "name": '"ENARSI"'}, changes)


def certification(**changes) -> str:
    fields = {
        "code": '"CCNP"',
        "abbreviation": '"CCNP"',
        "name": '"CCNP Enterprise"',
        "group": '"Associate"',
        "group_order": "20",
        "validity_months": "36",
        "earn": '{ type = "exam", exams = ["200-301"] }',
    }
    return toml_entry("certification", fields, changes)


def agreement(**changes) -> str:
    fields = {
        "code": '"CCA-V9"',
        "kind": '"certification"',
        "name": '"Certification Agreement (V9)"',
        "version": '"V9"',
        "text": '"Terms."',
    }
    return toml_entry("agreement", fields, changes)


def logo(**changes) -> str:
    fields = {"code": '"CCNA-LOGO"', "certification": '"CCNA"', "title": '"CCNA Certification"'}
    return toml_entry("logo", fields, changes)


def kit(**changes) -> str:
    fields = {
        "code": '"CCNA-CERT"',
        "certification": '"CCNA"',
        "name": '"CCNA Certificate"',
        "kind": '"Certificate"',
        "additional_price_cents": "1500",
    }
    return toml_entry("kit", fields, changes)


def write_catalog(directory: Path, **files: str) -> Path:
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.toml").write_text(text, encoding="utf-8")
    return directory


def refused_errors(directory: Path) -> list[str]:
    """The errors a load reports, after checking it wrote nothing."""
    with pytest.raises(CatalogError) as refused:
        load_catalog(directory)
    assert [model.select().count() for model in CATALOG_MODELS] == [0, 0, 0, 0, 0]
    return refused.value.errors


def changes_per_kind(summary: CatalogSummary) -> list[Changes]:
    """The summary's counts, in the order of CATALOG_MODELS."""
    return [summary.exams, summary.certifications, summary.agreements, summary.logos, summary.kits]


def catalog_with_broken(tmp_path: Path, broken: str) -> Path:
    return write_catalog(tmp_path / "catalog", base=BASE_TOML, broken=broken)


# ---- the demo catalog -------------------------------------------------------------------------


def test_demo_catalog_loads_everything():
    summary = load_catalog(DEMO_CATALOG)

    counts = [model.select().count() for model in CATALOG_MODELS]
    assert [(c.created, c.updated, c.unchanged) for c in changes_per_kind(summary)] == [
        (count, 0, 0) for count in counts
    ]
    assert summary.certifications.created >= 10


def test_demo_catalog_holds_the_guides_exams():
    load_catalog(DEMO_CATALOG)

    names = dict(Exam.select(Exam.code, Exam.name).tuples())
    assert {
        code: names.get(code)
        for code in ("350-001", "350-018", "350-022", "350-002", "200-125", "100-105")
    } == {
        "350-001": "CCIE Routing and Switching",
        "350-018": "CCIE Security",
        "350-022": "CCIE DSL",
        "350-002": "SNA Recert",
        "200-125": "CCNA Routing and Switching",
        "100-105": "Interconnecting Cisco Networking Devices Part 1 (ICND1)",
    }
    assert names["350-401"] == "Implementing Cisco Enterprise Network Core Technologies (ENCOR)"
    assert {"200-301", "300-410", "400-351", "400-007"} <= names.keys()
    assert Exam.get(Exam.code == "350-001").retired is True
    assert Exam.get(Exam.code == "350-001").validity_months == 36


def test_demo_catalog_holds_the_guides_certifications():
    load_catalog(DEMO_CATALOG)

    def shown(code):
        certification = Certification.get(Certification.code == code)
        return certification.group_name, certification.display_name

    assert shown("CCENT") == ("General Certifications - Entry", "CCENT (CCENT)")
    assert shown("CCNA") == ("General Certifications - Associate", "CCNA (CCNA)")
    assert shown("CCNA-RS") == (
        "General Certifications - Associate",
        "CCNA Routing and Switching (CCNA)",
    )
    assert shown("SPEC-ENCOR") == (
        "Specialist Certifications",
        "Cisco Certified Specialist - Enterprise Core (Specialist)",
    )
    codes = {code for (code,) in Certification.select(Certification.code).tuples()}
    assert {
        "CCIE-RS",
        "CCIE-SEC",
        "CCIE-DSL",
        "CCIE-COLLAB",
        "CCIE-EI",
        "CCNP-ENT",
        "CCDE",
    } <= codes


def test_demo_ccna_trees_match_the_guides_numbering():
    load_catalog(DEMO_CATALOG)
    ccna = Certification.get(Certification.code == "CCNA")

    assert ccna.earn_tree == {"type": "exam", "exams": ["200-301"]}
    # The guide's detail page: 1 - (0 / 1), 1.1 - (0 / 1), 1.2 - (0 / 30).
    assert ccna.recertify_tree["type"] == "any"
    first, second = ccna.recertify_tree["children"]
    assert first["type"] == "exam"
    assert {"200-301", "350-401", "300-410"} <= set(first["exams"])
    assert second == {"type": "ce", "credits": 30}
    assert (ccna.validity_months, ccna.recertify_from, ccna.renews) == (36, "expiration", ["CCENT"])


def test_demo_ccie_enterprise_logos_include_achievement_logos():
    load_catalog(DEMO_CATALOG)

    logos = (
        LogoFile.select()
        .join(Certification)
        .where(Certification.code == "CCIE-EI")
        .order_by(LogoFile.sort_order)
    )
    assert [(logo.title, logo.milestone_years) for logo in logos] == [
        ("CCIE Certification - Enterprise Infrastructure", None),
        ("CCIE Certification - 10-year Achievement", 10),
        ("CCIE Certification - 15-year Achievement", 15),
        ("CCIE Certification - 20-year Achievement", 20),
    ]
    specialist = LogoFile.select().join(Certification).where(Certification.code == "SPEC-ENCOR")
    assert [logo.title for logo in specialist] == ["Cisco Certified Specialist - Enterprise Core"]


def test_demo_agreements_are_current_and_the_certification_one_has_section_7():
    load_catalog(DEMO_CATALOG)

    current = {a.kind: a for a in Agreement.select().where(Agreement.is_current)}
    assert set(current) == {"certification", "logo"}
    certification_agreement = current["certification"]
    assert certification_agreement.name == "Cisco Certification and Confidentiality Agreement (V9)"
    assert certification_agreement.version == "V9"
    assert "Section 7. Verification of Certification." in certification_agreement.text
    assert certification_agreement.text.count("\n\nSection ") >= 8


def test_demo_kits_price_certificates_and_plaques():
    load_catalog(DEMO_CATALOG)

    ccna = FulfillmentItem.get(FulfillmentItem.code == "CCNA-CERT")
    assert (ccna.name, ccna.kind, ccna.certification.code) == (
        "CCNA Certificate",
        "Certificate",
        "CCNA",
    )
    assert (ccna.initial_price_cents, ccna.additional_price_cents, ccna.currency) == (
        0,
        1500,
        "USD",
    )
    kinds = {
        (code, kind)
        for code, kind in FulfillmentItem.select(Certification.code, FulfillmentItem.kind)
        .join(Certification)
        .tuples()
    }
    for (code,) in Certification.select(Certification.code).tuples():
        assert (code, "Certificate") in kinds
        assert ((code, "Plaque") in kinds) == code.startswith(("CCIE-", "CCDE"))
    plaque = FulfillmentItem.get(FulfillmentItem.code == "CCIE-EI-PLAQUE")
    assert plaque.additional_price_cents > ccna.additional_price_cents


# ---- loading ----------------------------------------------------------------------------------


def test_loading_twice_changes_nothing():
    load_catalog(DEMO_CATALOG)
    counts = [model.select().count() for model in CATALOG_MODELS]

    second = load_catalog(DEMO_CATALOG)

    assert [model.select().count() for model in CATALOG_MODELS] == counts
    assert [(c.created, c.updated, c.unchanged) for c in changes_per_kind(second)] == [
        (0, 0, count) for count in counts
    ]


def test_summary_prints_one_line_per_kind(tmp_path):
    summary = load_catalog(write_catalog(tmp_path / "catalog", base=BASE_TOML))

    assert str(summary) == (
        "exams: 1 created, 0 updated, 0 unchanged\n"
        "certifications: 1 created, 0 updated, 0 unchanged\n"
        "agreements: 0 created, 0 updated, 0 unchanged\n"
        "logos: 0 created, 0 updated, 0 unchanged\n"
        "kits: 0 created, 0 updated, 0 unchanged"
    )


def test_changed_entries_are_updated_and_removed_ones_kept(tmp_path):
    catalog = tmp_path / "catalog"
    shutil.copytree(DEMO_CATALOG, catalog)
    load_catalog(catalog)
    kit_count = FulfillmentItem.select().count()

    certifications = catalog / "certifications.toml"
    certifications.write_text(
        certifications.read_text().replace('name = "CCNA"\n', 'name = "CCNA Renamed"\n', 1)
    )
    kits = catalog / "kits.toml"
    kits.write_text(kits.read_text().replace('code = "CCNA-CERT"', 'code = "CCNA-CERTIFICATE"'))
    logos = catalog / "logos.toml"
    logos.write_text(
        logos.read_text().replace(
            'code = "CCNA-LOGO"\ncertification = "CCNA"',
            'code = "CCNA-LOGO"\ncertification = "CCENT"',
        )
    )
    summary = load_catalog(catalog)

    assert (summary.certifications.created, summary.certifications.updated) == (0, 1)
    assert Certification.get(Certification.code == "CCNA").name == "CCNA Renamed"
    assert (summary.logos.created, summary.logos.updated) == (0, 1)
    assert LogoFile.get(LogoFile.code == "CCNA-LOGO").certification.code == "CCENT"
    # The renamed kit is a new entry; the old one stays, since orders may reference it.
    assert (summary.kits.created, summary.kits.updated) == (1, 0)
    assert FulfillmentItem.select().count() == kit_count + 1
    assert FulfillmentItem.get(FulfillmentItem.code == "CCNA-CERT").name == "CCNA Certificate"


def test_omitted_fields_take_the_models_defaults(tmp_path):
    catalog = write_catalog(tmp_path / "catalog", base=BASE_TOML + exam(retired="true") + kit())
    load_catalog(catalog)
    write_catalog(catalog, base=BASE_TOML + exam() + kit())

    summary = load_catalog(catalog)

    assert (summary.exams.updated, summary.exams.unchanged) == (1, 1)
    enarsi = Exam.get(Exam.code == "300-410")
    assert (enarsi.validity_months, enarsi.retired) == (None, False)
    ccna = Certification.get(Certification.code == "CCNA")
    assert (ccna.sort_order, ccna.recertify_from, ccna.renews, ccna.recertify_tree) == (
        0,
        "expiration",
        [],
        None,
    )
    assert (ccna.pdf_certificate, ccna.description) == (True, "")
    item = FulfillmentItem.get(FulfillmentItem.code == "CCNA-CERT")
    assert (item.initial_price_cents, item.currency) == (0, "USD")


# ---- validation -------------------------------------------------------------------------------

SHAPE_CASES = [
    (certification(name=None), 'certification "CCNP": name: required'),
    (certification(code=None), "certification #1: code: required"),
    (certification(colour='"blue"'), 'certification "CCNP": colour: unknown field'),
    (
        certification(code='"CC NP"'),
        "certification \"CC NP\": code: must be a code of letters, digits, '.', '_' and '-', "
        "got 'CC NP'",
    ),
    (
        certification(code='"' + "X" * 33 + '"'),
        f'certification "{"X" * 33}": code: must be at most 32 characters, got 33',
    ),
    (
        certification(validity_months='"36"'),
        "certification \"CCNP\": validity_months: must be a positive integer, got '36'",
    ),
    (
        certification(validity_months="0"),
        'certification "CCNP": validity_months: must be a positive integer, got 0',
    ),
    (
        certification(recertify_from='"renewal"'),
        'certification "CCNP": recertify_from: must be one of "expiration", "completion", '
        "got 'renewal'",
    ),
    (
        certification(pdf_certificate='"yes"'),
        "certification \"CCNP\": pdf_certificate: must be true or false, got 'yes'",
    ),
    (
        certification(renews='"CCNA"'),
        "certification \"CCNP\": renews: must be a list of codes, got 'CCNA'",
    ),
    (
        exam(validity_months="-12"),
        'exam "300-410": validity_months: must be a positive integer, got -12',
    ),
    (exam(retired="1"), 'exam "300-410": retired: must be true or false, got 1'),
    (
        agreement(kind='"exam"'),
        'agreement "CCA-V9": kind: must be one of "certification", "logo", got \'exam\'',
    ),
    (agreement(text='"  "'), "agreement \"CCA-V9\": text: must be non-empty text, got '  '"),
    (
        logo(milestone_years="0"),
        'logo "CCNA-LOGO": milestone_years: must be a positive integer, got 0',
    ),
    (
        kit(additional_price_cents="15.0"),
        'kit "CCNA-CERT": additional_price_cents: must be whole cents, an integer >= 0, got 15.0',
    ),
    (
        kit(initial_price_cents="-1"),
        'kit "CCNA-CERT": initial_price_cents: must be whole cents, an integer >= 0, got -1',
    ),
    (
        kit(kind='"Poster"'),
        'kit "CCNA-CERT": kind: must be one of "Certificate", "Plaque", "Letter", got \'Poster\'',
    ),
    (
        kit(currency='"usd"'),
        'kit "CCNA-CERT": currency: must be a three-letter currency code such as "USD", '
        "got 'usd'",
    ),
]

TREE_CASES = [
    (
        certification(earn='{ type = "exams", exams = ["200-301"] }'),
        'certification "CCNP": earn.type: must be one of "all", "any", "at_least", "exam", "ce", '
        "\"certification\", got 'exams'",
    ),
    (
        certification(earn='{ exams = ["200-301"] }'),
        'certification "CCNP": earn.type: required, one of "all", "any", "at_least", "exam", '
        '"ce", "certification"',
    ),
    (
        certification(earn='"200-301"'),
        "certification \"CCNP\": earn: must be a requirement table with a type, got '200-301'",
    ),
    (
        certification(earn='{ type = "exam" }'),
        'certification "CCNP": earn.exams: required by type "exam"',
    ),
    (
        certification(earn='{ type = "exam", exams = [] }'),
        'certification "CCNP": earn.exams: must be a non-empty list of codes, got []',
    ),
    (
        certification(earn='{ type = "ce", credits = 30, exams = ["200-301"] }'),
        'certification "CCNP": earn.exams: not a field of type "ce"',
    ),
    (
        certification(earn='{ type = "all", children = [] }'),
        'certification "CCNP": earn.children: must be a non-empty list of requirement tables, '
        "got []",
    ),
    (
        certification(
            earn='{ type = "at_least", n = 3, children = '
            '[{ type = "exam", exams = ["200-301"] }, { type = "ce", credits = 30 }] }'
        ),
        'certification "CCNP": earn.n: must be at most 2 (the number of children), got 3',
    ),
    (
        certification(
            earn='{ type = "at_least", n = 0, children = [{ type = "ce", credits = 9 }] }'
        ),
        'certification "CCNP": earn.n: must be a positive integer, got 0',
    ),
    (
        certification(
            recertify='{ type = "any", children = '
            '[{ type = "exam", exams = ["200-301"] }, { type = "ce", credits = 0 }] }'
        ),
        'certification "CCNP": recertify.children[1].credits: must be a positive integer, got 0',
    ),
    (
        certification(earn='{ type = "certification" , code = 7 }'),
        'certification "CCNP": earn.code: must be non-empty text, got 7',
    ),
]

REFERENCE_CASES = [
    (
        certification(earn='{ type = "exam", exams = ["200-999"] }'),
        'certification "CCNP": earn: exam "200-999" is not in the catalog',
    ),
    (
        certification(
            recertify='{ type = "any", children = [{ type = "certification", code = "CCXX" }, '
            '{ type = "exam", exams = ["100-105", "100-105"] }] }'
        ),
        'certification "CCNP": recertify: certification "CCXX" is not in the catalog',
        'certification "CCNP": recertify: exam "100-105" is not in the catalog',
    ),
    (
        certification(renews='["CCENT"]'),
        'certification "CCNP": renews: certification "CCENT" is not in the catalog',
    ),
    (
        certification(renews='["CCNP"]'),
        'certification "CCNP": renews: a certification cannot renew itself',
    ),
    (
        logo(certification='"CCXX"'),
        'logo "CCNA-LOGO": certification: certification "CCXX" is not in the catalog',
    ),
    (
        kit(certification='"CCXX"'),
        'kit "CCNA-CERT": certification: certification "CCXX" is not in the catalog',
    ),
    (
        certification(group_order="30"),
        'certification "CCNP": group_order: 30 differs from 20 given by certification "CCNA" '
        'in base.toml for group "Associate"',
    ),
    (
        agreement() + agreement(code='"CCA-V10"') + agreement(code='"CCA-V8"', current="false"),
        'agreement "CCA-V10": current: certification agreement "CCA-V9" in broken.toml is '
        "current too; set current = false on all but one",
    ),
    (exam(code='"200-301"'), 'exam "200-301": code: already defined in base.toml'),
    (kit() + kit(), 'kit "CCNA-CERT": code: already defined in broken.toml'),
]


@pytest.mark.parametrize(
    ("broken", "expected"),
    [(case[0], case[1:]) for case in SHAPE_CASES + TREE_CASES + REFERENCE_CASES],
    ids=[case[1] for case in SHAPE_CASES + TREE_CASES + REFERENCE_CASES],
)
def test_invalid_entry_is_reported_and_nothing_is_written(tmp_path, broken, expected):
    errors = refused_errors(catalog_with_broken(tmp_path, broken))

    assert errors == [f"broken.toml: {message}" for message in expected]


def test_every_error_is_reported_not_just_the_first(tmp_path):
    broken = (
        exam(name=None)
        + certification(validity_months="0", earn='{ type = "ce" }')
        + kit(certification='"CCXX"', currency='"EURO"')
    )
    errors = refused_errors(catalog_with_broken(tmp_path, broken))

    assert errors == [
        'broken.toml: exam "300-410": name: required',
        'broken.toml: certification "CCNP": validity_months: must be a positive integer, got 0',
        'broken.toml: certification "CCNP": earn.credits: required by type "ce"',
        'broken.toml: kit "CCNA-CERT": currency: must be a three-letter currency code such as '
        "\"USD\", got 'EURO'",
        'broken.toml: kit "CCNA-CERT": certification: certification "CCXX" is not in the catalog',
    ]


def test_a_valid_file_is_not_loaded_beside_an_invalid_one(tmp_path):
    catalog = write_catalog(tmp_path / "catalog", base=BASE_TOML + kit(), broken=exam(name='""'))

    errors = refused_errors(catalog)

    assert errors == ["broken.toml: exam \"300-410\": name: must be non-empty text, got ''"]


def test_duplicate_code_across_files_names_both_files(tmp_path):
    catalog = write_catalog(
        tmp_path / "catalog",
        a_exams=exam(),
        base=BASE_TOML,
        z_more_exams=exam(name='"ENARSI again"'),
    )

    errors = refused_errors(catalog)

    assert errors == ['z_more_exams.toml: exam "300-410": code: already defined in a_exams.toml']


def test_same_code_in_different_kinds_is_allowed(tmp_path):
    catalog = write_catalog(tmp_path / "catalog", base=BASE_TOML + logo(code='"CCNA"'))

    summary = load_catalog(catalog)

    assert (summary.certifications.created, summary.logos.created) == (1, 1)


def requires(code: str) -> str:
    return f'{{ type = "certification", code = "{code}" }}'


def test_certification_requiring_itself_through_another_is_refused(tmp_path):
    broken = certification(code='"A"', earn=requires("B")) + certification(
        code='"B"', earn=requires("A")
    )
    errors = refused_errors(catalog_with_broken(tmp_path, broken))

    assert errors == ['broken.toml: certification "A": earn: requires itself: A -> B -> A']


def test_certification_requiring_itself_directly_is_refused(tmp_path):
    broken = certification(code='"A"', recertify=requires("A"))

    errors = refused_errors(catalog_with_broken(tmp_path, broken))

    assert errors == ['broken.toml: certification "A": recertify: requires itself: A -> A']


def test_cycle_is_reported_on_the_certification_where_it_closes(tmp_path):
    broken = (
        certification(code='"A"', earn=requires("B"))
        + certification(code='"B"', recertify=requires("C"))
        + certification(code='"C"', earn=f'{{ type = "all", children = [{requires("B")}] }}')
    )
    errors = refused_errors(catalog_with_broken(tmp_path, broken))

    assert errors == ['broken.toml: certification "B": recertify: requires itself: B -> C -> B']


def test_a_shared_prerequisite_is_not_a_cycle(tmp_path):
    catalog = write_catalog(
        tmp_path / "catalog",
        base=BASE_TOML
        + certification(code='"A"', earn=requires("CCNA"))
        + certification(
            code='"B"', earn=f'{{ type = "all", children = [{requires("A")}, {requires("CCNA")}] }}'
        ),
    )

    assert load_catalog(catalog).certifications.created == 3


def test_invalid_toml_is_reported_with_its_file(tmp_path):
    errors = refused_errors(catalog_with_broken(tmp_path, "[[exam]\ncode = 1\n"))

    assert len(errors) == 1
    assert errors[0].startswith("broken.toml: not valid TOML: ")


def test_unknown_section_and_misshapen_section_are_reported(tmp_path):
    errors = refused_errors(
        catalog_with_broken(
            tmp_path, 'kit = "CCNA-CERT"\n' + exam().replace("[[exam]]", "[[exams]]")
        )
    )

    assert errors == [
        "broken.toml: kit: must be tables written [[kit]]",
        'broken.toml: "exams": unknown section, expected [[exam]], [[certification]], '
        "[[agreement]], [[logo]], [[kit]]",
    ]


def test_directory_without_catalog_files_is_refused(tmp_path):
    errors = refused_errors(tmp_path)

    assert errors == [f"{tmp_path}: no *.toml files"]


def test_catalog_error_message_lists_every_error():
    error = CatalogError(["a.toml: one", "b.toml: two"])

    assert error.errors == ["a.toml: one", "b.toml: two"]
    assert str(error) == "The catalog has 2 error(s):\na.toml: one\nb.toml: two"


# ---- validate_tree ----------------------------------------------------------------------------


def test_validate_tree_accepts_every_node_type():
    tree = {
        "type": "all",
        "children": [
            {"type": "exam", "exams": ["350-401"]},
            {
                "type": "at_least",
                "n": 2,
                "children": [
                    {"type": "ce", "credits": 40},
                    {"type": "certification", "code": "CCNA"},
                    {"type": "any", "children": [{"type": "exam", "exams": ["300-410"]}]},
                ],
            },
        ],
    }

    assert validate_tree(tree) == []


def test_validate_tree_reports_nested_paths_from_the_root():
    tree = {
        "type": "any",
        "children": [
            {"type": "ce", "credits": True},
            {"type": "all", "children": [{"type": ["exam"]}, 5]},
        ],
    }

    assert validate_tree(tree, "recertify") == [
        "recertify.children[0].credits: must be a positive integer, got True",
        'recertify.children[1].children[0].type: must be one of "all", "any", "at_least", '
        '"exam", "ce", "certification", got [\'exam\']',
        "recertify.children[1].children[1]: must be a requirement table with a type, got 5",
    ]
