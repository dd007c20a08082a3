"""Benchmark: issuing and verifying Open Badges credentials, in process.

    .venv/bin/python bench/credentials.py [--repeat N]

Prints the median (and p90) over N runs of: building and signing one OpenBadgeCredential,
verifying one, the same for a CLR transcript of five badges, a status list credential
(131,072 positions) and baking a PNG and an SVG. Each figure is also given as a multiple of
a bare Flask "hello" request through the test client measured in the same run, so figures
from different machines compare. Asserts nothing.
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402

from certportal.documents import (
    artwork,  # noqa: E402
    badges,  # noqa: E402
)
from certportal.domain import credentials, signing  # noqa: E402

NOW = datetime(2026, 6, 1, tzinfo=UTC)
BASE = "https://portal.example"
ISSUER = credentials.Issuer(id=f"{BASE}/badges/issuer", name="Cisco", url=BASE)


def achievement(code: str) -> credentials.Achievement:
    return credentials.Achievement(
        id=f"{BASE}/badges/achievements/{code}",
        name=f"Cisco Certified {code}",
        description=f"Holders of the {code} certification passed its exams.",
        criteria=f"Pass the {code} exams and accept the certification agreement.",
        image=f"{BASE}/logos/{code}.png",
        code=code,
    )


def badge(key, code: str = "CCNA", index: int = 7) -> dict:
    valid_from, valid_until = credentials.validity_window(NOW.date(), NOW.date().replace(year=2029))
    unsigned = credentials.open_badge_credential(
        credential_id=f"{BASE}/badges/{code}-{index}",
        issuer=ISSUER,
        achievement=achievement(code),
        recipient_email="john.doe@example.com",
        valid_from=valid_from,
        valid_until=valid_until,
        status=credentials.StatusEntry(f"{BASE}/badges/status/1", index),
    )
    return credentials.sign_credential(unsigned, key, NOW)


def clr(key, badges_: list[dict]) -> dict:
    unsigned = credentials.clr_credential(
        credential_id=f"{BASE}/transcripts/T-1/clr",
        issuer=ISSUER,
        name="Transcript",
        recipient_email="john.doe@example.com",
        credentials=badges_,
        valid_from=NOW,
    )
    return credentials.sign_credential(unsigned, key, NOW)


def status_list(key) -> dict:
    unsigned = credentials.status_list_credential(
        list_url=f"{BASE}/badges/status/1",
        issuer_id=ISSUER.id,
        set_indexes=range(0, 131_072, 97),
        valid_from=NOW,
    )
    return credentials.sign_credential(unsigned, key, NOW)


def timed(call, repeat: int) -> list[float]:
    for _ in range(min(3, repeat)):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def report(label: str, samples: list[float], baseline: float | None = None) -> float:
    median = statistics.median(samples)
    p90 = sorted(samples)[int(len(samples) * 0.9) - 1]
    line = f"{label:<46} median {median * 1000:8.2f} ms   p90 {p90 * 1000:8.2f} ms"
    if baseline:
        line += f"   {median / baseline:7.1f}x a bare Flask request"
    print(line)
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100)
    n = parser.parse_args().repeat

    key = signing.generate_signing_key()
    keys = credentials.trusted_keys(ISSUER.id, [key])
    hello = Flask("hello")
    hello.get("/")(lambda: "hello")
    client = hello.test_client()

    print(f"credentials benchmark, in process, median of {n} runs each:\n")
    ceiling = report(
        "bare Flask 'hello' via test client (baseline)", timed(lambda: client.get("/"), n)
    )
    one = badge(key)
    five = [badge(key, code, index) for index, code in enumerate(("A", "B", "C", "D", "E"))]
    transcript = clr(key, five)
    listing = status_list(key)
    svg = artwork.logo_svg("CCNA", "CCNA", "Cisco Certified Network Associate", "Cisco")
    png = badges.bake_png(artwork.svg_to_png(svg, width=300), {"placeholder": True})

    sign_one = report("build + sign one OpenBadgeCredential", timed(lambda: badge(key), n), ceiling)
    verify_one = report(
        "verify one OpenBadgeCredential",
        timed(lambda: credentials.verify_credential(one, keys, NOW), n),
        ceiling,
    )
    report("build + sign a CLR of 5 signed badges", timed(lambda: clr(key, five), n), ceiling)
    report(
        "verify that CLR (and the 5 badges in it)",
        timed(lambda: credentials.verify_credential(transcript, keys, NOW), n),
        ceiling,
    )
    report("build + sign a status list (131,072 bits)", timed(lambda: status_list(key), n), ceiling)
    report(
        "revocation check against the signed list",
        timed(lambda: credentials.is_revoked(one, listing, keys), n),
        ceiling,
    )
    report("bake a badge into a PNG", timed(lambda: badges.bake_png(png, one), n), ceiling)
    report("bake a badge into an SVG", timed(lambda: badges.bake_svg(svg, one), n), ceiling)
    print(
        f"\none core issues about {1 / sign_one:,.0f} badges/s and verifies about "
        f"{1 / verify_one:,.0f}/s; nearly all of it is RDF canonicalization (pyld)."
    )


if __name__ == "__main__":
    main()
