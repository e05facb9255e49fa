"""The landing page's words, one dict per language, and the language a browser asks for.

Kept together per language so they can move into the shared string catalogue as they are.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Dangol",
        "tagline": "Loyalty, referrals and retention for Shopify shops.",
        "install_heading": "Install Dangol on your shop",
        "shop_label": "Your shop's domain",
        "shop_hint": "It ends in .myshopify.com, for example your-shop.myshopify.com.",
        "install_button": "Install",
        "dev_heading": "Running on this machine",
        "dev_intro": "Dangol runs here with the local dev store, a stand-in for Shopify. Start with:",
        "link_store": "The dev store: add customers; place, pay, refund and cancel orders",
        "link_admin": "Dangol in the demo shop's admin",
        "link_shopper": "A shopper's loyalty page",
        "link_mail": "Mail kept by the local SMTP server",
        "link_docs": "API documentation",
    },
    "ko": {
        "title": "Dangol 단골",
        "tagline": "Shopify 상점을 위한 적립, 추천, 재구매 관리.",
        "install_heading": "내 상점에 Dangol 설치하기",
        "shop_label": "상점 도메인",
        "shop_hint": ".myshopify.com으로 끝나는 주소입니다. 예: your-shop.myshopify.com",
        "install_button": "설치",
        "dev_heading": "이 컴퓨터에서 실행 중",
        "dev_intro": "Dangol이 Shopify를 대신하는 로컬 개발 상점과 함께 실행 중입니다. 여기서 시작하세요:",
        "link_store": "개발 상점: 고객 추가, 주문·결제·환불·취소",
        "link_admin": "데모 상점 관리자 화면의 Dangol",
        "link_shopper": "쇼핑객의 적립 페이지",
        "link_mail": "로컬 SMTP 서버가 보관한 메일",
        "link_docs": "API 문서",
    },
}


def language_for(accept_language: str | None) -> str:
    """The supported language the browser prefers most (RFC 9110 quality values), else English."""
    best, best_quality = DEFAULT_LANGUAGE, 0.0
    for item in (accept_language or "").split(","):
        tag, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.lower().split("-")[0]
        # The range check refuses NaN and infinity too; a tie keeps the language named first.
        if language in STRINGS and 0 < quality <= 1 and quality > best_quality:
            best, best_quality = language, quality
    return best
