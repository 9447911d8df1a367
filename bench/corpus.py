"""A formulaic corpus: what real archives are full of.

Security Council press statements condemning an attack, Secretary-General messages for
an international day, OSCE Permanent Council statements: each a template of 120-170
words in which a few words change (a place, a country, a date, a number, a name).
``formulaic_items`` mixes them with the diverse items of ``bench.ingest.make_items``:
a third of the items are formulaic, and one item in a hundred is a mirror (source
``article``, another URL) of an earlier formulaic item with a fixed typo, which dedupe
must find among thousands of near-identical texts.
"""

from __future__ import annotations

import random

# Wording from press.un.org statements and the OSCE captures (tests/test_storage_releases.py).
TEMPLATES = [
    ("un_press", "Security Council Press Statement on Terrorist Attack in {place}",
     "The members of the Security Council condemned in the strongest terms the heinous and cowardly "
     "terrorist attack that occurred in {place} on {day} {month} {year}, which caused {number} deaths and "
     "numerous injuries. The members of the Security Council expressed their deepest sympathy and "
     "condolences to the families of the victims and to the Government of {country}, and they wished a "
     "speedy and full recovery to those who were injured. The members of the Security Council reaffirmed "
     "that terrorism in all its forms and manifestations constitutes one of the most serious threats to "
     "international peace and security. The members of the Security Council underlined the need to hold "
     "perpetrators, organizers, financiers and sponsors of these reprehensible acts of terrorism "
     "accountable and bring them to justice, and urged all States, in accordance with their obligations "
     "under international law and relevant Security Council resolutions, to cooperate actively with the "
     "Government of {country} and all other relevant authorities in this regard. ({symbol})"),
    ("un_press", "Secretary-General's Message on the {name} Day of {cause}",
     "On this {name} Day of {cause}, observed on {day} {month} {year}, we recall that the United Nations "
     "was founded to save succeeding generations from the scourge of war and to reaffirm faith in "
     "fundamental human rights, in the dignity and worth of the human person. Around the world, "
     "{number} million people still face hardship, discrimination and violence. We must stand in "
     "solidarity with them, and with the communities and civil society organizations in {place} and "
     "across {country} that work every day to protect them. Governments must live up to their "
     "commitments, invest in prevention and ensure that no one is left behind. On this Day, let us "
     "renew our pledge to build a world of peace, dignity and opportunity for all on a healthy planet. "
     "({symbol})"),
    ("osce", "Permanent Council statement on the situation in {place}",
     "{upper}, {day} {month} {year} - The OSCE Permanent Council today discussed the situation in "
     "{place}, {country}, following the report of the Head of the OSCE Mission, {person}. Participating "
     "States welcomed the Mission's work to support dialogue, the rule of law and the protection of "
     "human rights, and expressed concern at the {number} incidents recorded since the last report. "
     "The Chairperson-in-Office called on all sides to refrain from violence, to respect their "
     "commitments under the Helsinki Final Act and to engage constructively in the process facilitated "
     "by the OSCE. The Permanent Council is the OSCE's main, regular decision-making body. It meets "
     "weekly in Vienna to discuss developments in the OSCE area and to make appropriate decisions."),
]
PLACES = ["Mogadishu", "Kabul", "Brussels", "Bamako", "Niamey", "Ouagadougou", "Baghdad", "Istanbul",
          "Karachi", "Peshawar", "Maiduguri", "Goma", "Beni", "Aden", "Sanaa", "Damascus", "Homs",
          "Tripoli", "Benghazi", "Kidal", "Gao", "Mopti", "Diffa", "Quetta", "Lahore", "Jalalabad",
          "Kunduz", "Herat", "Mazar-i-Sharif", "Beledweyne", "Kismayo", "Garissa", "Lamu", "Mombasa"]
COUNTRIES = ["Somalia", "Afghanistan", "Belgium", "Mali", "Niger", "Burkina Faso", "Iraq", "Türkiye",
             "Pakistan", "Nigeria", "the Democratic Republic of the Congo", "Yemen", "Syria", "Libya",
             "Kenya", "Moldova", "Georgia", "Kosovo", "Bosnia and Herzegovina", "Serbia"]
CAUSES = ["Peace", "Tolerance", "Democracy", "Human Rights", "Persons with Disabilities", "Migrants",
          "Refugees", "Water", "Literacy", "Older Persons", "Youth", "Volunteers", "Solidarity"]
NAMES = ["International", "World", "Global", "United Nations"]
PERSONS = ["Ambassador Jan Braathu", "Ambassador Brian Aggeler", "Ambassador Kilian Wahl",
           "Ambassador Clemens Koja", "Ambassador Dominique Waag", "Ambassador Michael Davenport"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
MIRROR_EVERY = 100


def formulaic(n: int, rng: random.Random) -> dict:
    """The ``n``-th formulaic release: one of the templates, a few words of its own."""
    source, title, body = TEMPLATES[n % len(TEMPLATES)]
    year, month, day = 2025 - n // 4000 % 20, MONTHS[n // 330 % 12], 1 + n % 28
    place = rng.choice(PLACES)
    slots = {"place": place, "upper": place.upper(), "country": rng.choice(COUNTRIES),
             "cause": rng.choice(CAUSES), "name": rng.choice(NAMES), "person": rng.choice(PERSONS),
             "number": rng.randint(2, 400), "day": day, "month": month, "year": year,
             "symbol": f"SC/{20000 + n}"}
    url = (f"https://www.osce.org/pc/{800000 + n}" if source == "osce"
           else f"https://press.un.org/en/{year}/sc{20000 + n}.doc.htm")
    return {"source": source, "url": url, "title": f"{title.format(**slots)} ({n})",
            "body": body.format(**slots), "published": f"{year}-{MONTHS.index(month) + 1:02d}-{day:02d}",
            "place": place.upper(), "symbol": None if source == "osce" else slots["symbol"],
            "issuers": ["Permanent Council"] if source == "osce" else ["Security Council"]}


def mirror(item: dict, n: int) -> dict:
    """A mirror's copy of ``item``: another URL and source, one word edited, no metadata."""
    body = item["body"].replace(" the ", " the the ", 1).replace("strongest", "strongest possible", 1)
    return {"source": "article", "url": f"https://mirror.example/{n}", "title": item["title"], "body": body}


def formulaic_items(count: int, diverse: list[dict], seed: int = 11) -> list[dict]:
    """``count`` items: every third formulaic, one in ``MIRROR_EVERY`` a mirror of an earlier
    formulaic item, the rest taken in order from ``diverse``."""
    rng = random.Random(seed)
    items: list[dict] = []
    originals: list[dict] = []
    others = iter(diverse)
    for n in range(count):
        if n % MIRROR_EVERY == MIRROR_EVERY - 1 and originals:
            items.append(mirror(rng.choice(originals), n))
        elif n % 3 == 0:
            originals.append(formulaic(n, rng))
            items.append(originals[-1])
        else:
            items.append(next(others))
    return items


def mirrors_expected(items: list[dict]) -> int:
    return sum(1 for item in items if item["source"] == "article")


def formulaic_site(count: int, start_id: int = 900000, seed: int = 13) -> list:
    """``count`` OSCE releases of the Permanent Council template, newest first, each with
    its own title, date, place, names and numbers (``crawler.localsite.osce`` pages)."""
    from dataclasses import replace

    from crawler.localsite import osce

    rng = random.Random(seed)
    base = osce.seed_releases()[0]
    _, title, body = TEMPLATES[2]
    out = []
    for n in range(count):
        item = formulaic(2 + 3 * n, rng)  # the OSCE template, its own slots
        number = start_id + count - n
        date = f"{1 + n % 28} {MONTHS[11 - n // 28 % 12]} {2025 - n // 336}"
        sentences = item["body"].split(". ")
        dateline, rest = sentences[0].split(" - ", 1)
        paragraphs = [f"{item['place']}, {date} - {rest}. {'. '.join(sentences[1:3])}.",
                      ". ".join(sentences[3:]).rstrip(".") + f". Reference {number}."]
        out.append(replace(base, path=f"/pc/{number}", title=f"{item['title'].rsplit(' (', 1)[0]} ({number})", date=date,
                           place=item["place"], sources=["Permanent Council"], paragraphs=paragraphs))
    return out
