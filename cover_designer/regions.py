"""Region packs: palette, fonts, text density, price locale, ready phrases and advisories.

Phrases are written in each market's own language (they go on the cover as they are, they are
not UI strings); advisories are UI text and go through the translation catalog.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from studio.core.i18n import N_, _


@dataclass(frozen=True)
class Language:
    code: str  # BCP 47 for shaping
    locale: str  # CLDR locale for prices/dates
    currency: str
    sample_price: str
    sample_original: str


@dataclass(frozen=True)
class RegionPack:
    id: str
    name: str
    languages: tuple[Language, ...]
    palette: dict[str, str]
    text_density: str  # "low" | "medium" | "dense"
    mirror: bool
    phrases: dict[str, dict[str, str]]  # phrase key → language code → text
    advisories: tuple[str, ...] = field(default=())
    peak_dates: tuple[str, ...] = field(default=())

    @property
    def fonts(self) -> dict[str, str]:
        """Font family used per language of the pack (all OFL Noto; Thai is the loopless design)."""
        names = {"ar": "Noto Sans Arabic", "th": "Noto Sans Thai", "ja": "Noto Sans CJK JP", "ko": "Noto Sans CJK KR",
                 "zh": "Noto Sans CJK SC"}
        return {lang.code: names.get(lang.code.split("-")[0], "Noto Sans") for lang in self.languages}

    @property
    def default_language(self) -> Language:
        return self.languages[0]

    def language(self, code: str | None) -> Language:
        for language in self.languages:
            if code and (language.code == code or language.code.split("-")[0] == code.split("-")[0]):
                return language
        return self.default_language

    def phrase(self, key: str, language: str | None = None) -> str:
        lang = self.language(language).code
        options = self.phrases.get(key, {})
        return options.get(lang) or options.get(lang.split("-")[0]) or next(iter(options.values()), key)

    def translated_advisories(self) -> list[str]:
        return [_(text) for text in self.advisories]


def _p(**texts: str) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in texts.items()}


REGIONS: dict[str, RegionPack] = {
    "na_eu": RegionPack(
        "na_eu", "North America / Europe",
        (Language("en", "en_US", "USD", "1299.99", "1599.99"), Language("de", "de_DE", "EUR", "1299.99", "1599.99"),
         Language("fr", "fr_FR", "EUR", "1299.99", "1599.99"), Language("es", "es_ES", "EUR", "1299.99", "1599.99")),
        {"background": "#F5F5F2", "primary": "#111111", "accent": "#D7262E", "text": "#111111", "on_accent": "#FFFFFF",
         "soft": "#E6EFE9"},
        "low", False,
        {
            "sale": _p(en="SALE", de="SALE", fr="SOLDES", es="REBAJAS"),
            "new_arrival": _p(en="New Arrival", de="Neu da", fr="Nouveauté", es="Novedad"),
            "live_now": _p(en="Live now", de="Jetzt live", fr="En direct", es="En directo"),
            "free_shipping": _p(en="Free shipping", de="Gratis Versand", fr="Livraison offerte", es="Envío gratis"),
            "discount": _p(en="{discount}% OFF", de="-{discount} %", fr="-{discount} %", es="-{discount} %"),
            "before": _p(en="Before", de="Vorher", fr="Avant", es="Antes"),
            "after": _p(en="After", de="Nachher", fr="Après", es="Después"),
            "eco": _p(en="Made to last", de="Gemacht für lange", fr="Fait pour durer", es="Hecho para durar"),
        },
        (N_("Keep text sparse: one short headline and the price."),
         N_("Red “SALE” reads as urgency; pair it with plenty of white space."),
         N_("Sustainability and durability claims resonate; make them concrete.")),
        ("Black Friday", "Cyber Monday", "Prime Day"),
    ),
    "sea": RegionPack(
        "sea", "Southeast Asia",
        (Language("th", "th_TH", "THB", "1299", "1599"), Language("vi", "vi_VN", "VND", "1299000", "1599000"),
         Language("id", "id_ID", "IDR", "129900", "199900"), Language("ms", "ms_MY", "MYR", "129.90", "199.90"),
         Language("fil", "en_PH", "PHP", "1299", "1599")),
        {"background": "#FFF4E0", "primary": "#0B6E4F", "accent": "#F25C05", "text": "#1B1B1B", "on_accent": "#FFFFFF",
         "soft": "#FFE0B2"},
        "medium", False,
        {
            "sale": _p(th="ลดราคา", vi="Giảm giá", id="Diskon", ms="Jualan murah", fil="Sale"),
            "new_arrival": _p(th="สินค้าใหม่", vi="Hàng mới về", id="Produk baru", ms="Baru tiba", fil="Bagong dating"),
            "live_now": _p(th="ไลฟ์สด", vi="Đang live", id="Live sekarang", ms="Live sekarang", fil="Live na"),
            "free_shipping": _p(th="ส่งฟรี", vi="Miễn phí ship", id="Gratis ongkir", ms="Penghantaran percuma",
                                fil="Libreng shipping"),
            "discount": _p(th="ลด {discount}%", vi="Giảm {discount}%", id="Diskon {discount}%", ms="Diskaun {discount}%",
                           fil="{discount}% OFF"),
            "before": _p(th="ก่อน", vi="Trước", id="Sebelum", ms="Sebelum", fil="Bago"),
            "after": _p(th="หลัง", vi="Sau", id="Sesudah", ms="Selepas", fil="Pagkatapos"),
            "value": _p(th="คุ้มสุด", vi="Siêu hời", id="Paling hemat", ms="Paling jimat", fil="Sulit na sulit"),
        },
        (N_("Value for money sells: show the discount and the price large."),
         N_("In Thailand, yellow is associated with the monarchy; avoid it for cheap promotions."),
         N_("Green suits Muslim-majority markets (Malaysia, Indonesia) and Ramadan campaigns."),
         N_("Use loopless Thai display fonts for headlines; 11.11 and 12.12 are the big sale days.")),
        ("11.11", "12.12", "9.9"),
    ),
    "middle_east": RegionPack(
        "middle_east", "Middle East",
        (Language("ar", "ar_SA", "SAR", "1299", "1599"), Language("en", "en_AE", "AED", "1299", "1599")),
        {"background": "#F7F3EA", "primary": "#0F3D3E", "accent": "#B08D57", "text": "#0F3D3E", "on_accent": "#FFFFFF",
         "soft": "#E9E1CF"},
        "low", True,
        {
            "sale": _p(ar="تخفيضات", en="SALE"),
            "new_arrival": _p(ar="وصل حديثاً", en="New Arrival"),
            "live_now": _p(ar="مباشر الآن", en="Live now"),
            "free_shipping": _p(ar="شحن مجاني", en="Free shipping"),
            "discount": _p(ar="خصم {discount}%", en="{discount}% OFF"),
            "before": _p(ar="قبل", en="Before"),
            "after": _p(ar="بعد", en="After"),
            "quality": _p(ar="جودة أصلية", en="Authentic quality"),
        },
        (N_("The whole layout is mirrored for right-to-left reading; numbers, logos and media controls are not."),
         N_("Choose modest imagery; lead with quality and the brand’s story."),
         N_("Saudi riyal prices carry right-to-left marks; let the price layer format them.")),
        ("Ramadan", "Eid al-Fitr", "White Friday"),
    ),
    "latam": RegionPack(
        "latam", "Latin America",
        (Language("pt-BR", "pt_BR", "BRL", "1299.99", "1599.99"), Language("es-MX", "es_MX", "MXN", "1299", "1599")),
        {"background": "#FFF8EC", "primary": "#1D3557", "accent": "#E63946", "text": "#1D3557", "on_accent": "#FFFFFF",
         "soft": "#FFD6A5"},
        "medium", False,
        {
            "sale": _p(pt_BR="Promoção", es_MX="Oferta"),
            "new_arrival": _p(pt_BR="Novidade", es_MX="Lo nuevo"),
            "live_now": _p(pt_BR="Ao vivo agora", es_MX="En vivo"),
            "free_shipping": _p(pt_BR="Frete grátis", es_MX="Envío gratis"),
            "discount": _p(pt_BR="{discount}% OFF", es_MX="{discount}% de descuento"),
            "instalments": _p(pt_BR="12x sem juros", es_MX="Hasta 12 MSI"),
            "before": _p(pt_BR="Antes", es_MX="Antes"),
            "after": _p(pt_BR="Depois", es_MX="Después"),
        },
        (N_("Show instalments (“12x sem juros” in Brazil): shoppers compare the monthly amount."),
         N_("Warm, saturated colours and faces work well; keep the price easy to find.")),
        ("Black Friday", "Hot Sale", "Dia do Consumidor"),
    ),
    "jp_kr": RegionPack(
        "jp_kr", "Japan / Korea",
        (Language("ja", "ja_JP", "JPY", "12990", "15990"), Language("ko", "ko_KR", "KRW", "129000", "159000")),
        {"background": "#FFFFFF", "primary": "#1A1A2E", "accent": "#E94560", "text": "#1A1A2E", "on_accent": "#FFFFFF",
         "soft": "#FDE2E4"},
        "dense", False,
        {
            "sale": _p(ja="セール", ko="세일"),
            "new_arrival": _p(ja="新作入荷", ko="신상 입고"),
            "live_now": _p(ja="ライブ配信中", ko="라이브 중"),
            "free_shipping": _p(ja="送料無料", ko="무료배송"),
            "discount": _p(ja="{discount}%OFF", ko="{discount}% 할인"),
            "before": _p(ja="使用前", ko="사용 전"),
            "after": _p(ja="使用後", ko="사용 후"),
            "limited": _p(ja="数量限定", ko="한정 수량"),
        },
        (N_("Denser text is accepted here, but the headline still has to read at thumbnail size."),
         N_("White is a mourning colour; do not let a white-and-black cover look funereal."),
         N_("The yen sign is full-width in Japanese typography (￥12,990).")),
        ("Golden Week", "Chuseok", "Black Friday"),
    ),
}


def get_region(region_id: str):
    from .errors import DocumentError

    key = region_id.strip().lower().replace("-", "_")
    if key not in REGIONS:
        raise DocumentError(_("Unknown region “{name}” (use one of: {names}).").format(
            name=region_id, names=", ".join(sorted(REGIONS))))
    return REGIONS[key]


# Show locales whose market has a pack of its own; anything else (en_US, de_DE, fr_FR, zh_CN …) → "na_eu".
_LOCALE_REGION = {"ar": "middle_east", "fa": "middle_east", "he": "middle_east", "ur": "middle_east",
                  "th": "sea", "vi": "sea", "id": "sea", "ms": "sea", "fil": "sea", "en_PH": "sea", "en_MY": "sea",
                  "en_SG": "sea", "pt_BR": "latam", "es_MX": "latam", "es_AR": "latam", "es_CO": "latam",
                  "es_CL": "latam", "es_PE": "latam", "ja": "jp_kr", "ko": "jp_kr", "en_AE": "middle_east",
                  "en_SA": "middle_east"}
DEFAULT_REGION = "na_eu"


def region_for_locale(locale: str | None) -> str:
    """The region pack a show in ``locale`` (CLDR, "ar_SA", "pt-BR") uses unless one is chosen:
    ar_SA → middle_east, th_TH/vi_VN/id_ID → sea, pt_BR/es_MX → latam, ja_JP/ko_KR → jp_kr, else na_eu."""
    code = (locale or "").split(".")[0].split("@")[0].replace("-", "_")
    parts = code.split("_")
    full = "_".join(parts[:2]) if len(parts) > 1 else parts[0]
    return _LOCALE_REGION.get(full) or _LOCALE_REGION.get(parts[0].lower(), DEFAULT_REGION)
