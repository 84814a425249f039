"""A person gives and withdraws their consent to the city data platform over HTTP (the
console's page does it); publishing follows it (tests/api/city_platform)."""

from api.accounts import Role, get_account
from tests.api.conftest import Api


def test_a_person_consents_and_withdraws_and_the_first_time_is_kept(api: Api) -> None:
    me, farmer = api.person(Role.FARMER)
    assert farmer.get("/me").json()["city_data_consent_at"] is None
    given = farmer.put("/me/city-data-consent")
    assert given.status_code == 200, given.text
    first = given.json()["city_data_consent_at"]
    assert first is not None
    api.clock.advance(3600)
    again = farmer.put("/me/city-data-consent").json()["city_data_consent_at"]
    assert again == first  # granting again keeps the first time
    assert get_account(api.engine, me).city_data_consent_at is not None
    withdrawn = farmer.delete("/me/city-data-consent")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["city_data_consent_at"] is None
    assert get_account(api.engine, me).city_data_consent_at is None
    _, other = api.person(Role.FARMER)
    other.put("/me/city-data-consent")
    assert get_account(api.engine, me).city_data_consent_at is None  # one's own only
    assert api.client().put("/me/city-data-consent").status_code == 401
