"""Letters address the requester formally and consistently: Finnish "Te" (Teitä, pyyntönne),
Swedish "ni" (er, era); never the familiar "sinä"/"du" halfway through a letter."""

import re

import pytest

from privacy.letters import letter_render
from privacy.models import LetterKind
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db

FAMILIAR = {
    # sinä in its cases, and the possessive suffix -si on the words letters use
    "fi": re.compile(
        r"\b(?:sinä|sinun|sinua|sinulla|sinulle|sinusta|sinuun)\b"
        r"|\b\w+(?:tösi|tosi|tesi|tasi|täsi|masi|mäsi|jasi|jäsi|uksesi|tietosi|ntösi)\b"
        r"|\b(?:katsot|voit|pyysit|annoit)\b",
        re.IGNORECASE,
    ),
    "sv": re.compile(r"\b(?:du|dig|din|ditt|dina)\b", re.IGNORECASE),
}
FORMAL = {
    "fi": re.compile(r"\b(?:Te|Teitä|Teillä|Teille|Teidän)\b|\w+nne\b"),
    "sv": re.compile(r"\b(?:ni|er|ert|era)\b"),
}


@pytest.mark.parametrize("language", ["fi", "sv"])
@pytest.mark.parametrize("kind", LetterKind.values)
def test_every_letter_addresses_the_requester_formally(isannointi, language, kind):
    request = make_privacy_request(isannointi, language=language)
    body = letter_render(request=request, kind=kind, language=language)
    assert not FAMILIAR[language].findall(body), FAMILIAR[language].findall(body)
    assert FORMAL[language].search(body), body


def test_the_check_catches_a_familiar_word():
    assert FAMILIAR["fi"].search("Olemme vastaanottaneet pyyntösi.")
    assert FAMILIAR["sv"].search("Vi har tagit emot din begäran.")
    assert not FAMILIAR["fi"].search("Tietosuojaselosteessa kerrotaan tietosuojasta.")
