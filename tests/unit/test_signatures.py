"""The providers sign exactly as their documents say (vectors in docs/upstreams/)."""

from __future__ import annotations

import hashlib

from providers.cloud import agent_signature
from providers.energy import sign, signed_body
from providers.kumquat import sign as kumquat_sign

ENERGY_SECRET = "1864fb62564c8e516ecad98b001918b1feddf3d6e5ab93b1de20f7cdb3f8e159"
TIMESTAMP = "1686796826"


def test_energy_balance_vector() -> None:
    assert signed_body({}) == "{}"
    assert sign(ENERGY_SECRET, TIMESTAMP, signed_body({})) == (
        "257f130f0cbf6b6dfa35834cf283a5090ab8d1e9769ef67e9efea3a8f05a0105"
    )


def test_energy_order_vector_sorts_keys_and_drops_empty_values() -> None:
    params = {
        "energyAmount": 65000,
        "period": "1H",
        "receiveAddress": "TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgWS",
        "notifyUrl": "https://{mydomain}/notify",
        "outTradeNo": "123456",
        "unused": None,
        "blank": "",
    }
    body = signed_body(params)
    assert body == (
        '{"energyAmount":65000,"notifyUrl":"https://{mydomain}/notify","outTradeNo":"123456",'
        '"period":"1H","receiveAddress":"TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgWS"}'
    )
    assert sign(ENERGY_SECRET, TIMESTAMP, body) == (
        "a58c18cc56142f17f555ce7a779de7590310b569151cb469674700491384f914"
    )


def test_cloud_x_sign_is_sha256_of_the_concatenation() -> None:
    assert agent_signature("app", "secret") == hashlib.sha256(b"appsecret").hexdigest()
    assert len(agent_signature("app", "secret")) == 64


def test_kumquat_stringa_vector() -> None:
    params = {
        "partner_no": "test",
        "request_no": "123412434",
        "product_id": 19402,
        "account": "8615180624622",
        "amount": 20,
        "datetime": 20201230134400,
        "spbill_create_ip": "111.111.111.111",
        "callback_url": "http://www.kumquat.com/callback",
        "sign": "ignored",
        "empty": "",
    }
    assert kumquat_sign(params, "asfsdfdsfgsrgrssdfseesaef") == "a875dead05388c6acdc9a807abd78561"
