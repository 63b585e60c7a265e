"""Generates the bundled sample catalogue (`catalogue.jsonl`): realistic, invented, reproducible.

Run `python -m ingestion.sample.generate` to rewrite it. Products are made up from typical
Spanish supermarket goods (store brands per chain plus national brands sold, with one EAN, in
several chains), with realistic sizes, prices per kg/l, ingredients, allergen statements (some
deliberately missing, as in real scraped data) and eight weeks of weekly prices with real-looking
changes (olive oil and milk rise in November). No retailer data is copied.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ingestion.sample import SAMPLE_CATALOGUE

CHAINS = {  # chain: (store brand, price level, EAN company prefix)
    "mercadona": ("Hacendado", 1.00, "8480000"),
    "dia": ("Dia", 0.97, "8480017"),
    "consum": ("Consum", 1.05, "8420926"),
    "alcampo": ("Auchan", 0.99, "3245678"),
    "carrefour": ("Carrefour", 1.02, "8431876"),
}
LAST_DAY = datetime(2026, 11, 20, tzinfo=UTC)
WEEKS = 8


@dataclass(frozen=True)
class Item:
    """A kind of product: what every chain's version of it has in common."""

    key: str
    category: tuple[str, ...]
    name: str
    size: float
    unit: str  # kg, l or ud
    per_unit: float  # typical store-brand EUR per kg/l/ud
    packaging: str
    ingredients: str | None
    allergens: str | None
    mentions: str | None = None
    nutrition: tuple[float, ...] | None = None  # kcal, fat, sat, carbs, sugars, protein, salt
    national: tuple[tuple[str, float], ...] = ()  # (brand, price premium over store brand)
    trend: float = 0.0  # drift over the eight weeks (0.08 = +8 %)


_GLUTEN_TRACES = (
    "Contiene trigo y productos derivados. Puede contener leche, soja y frutos de cáscara."
)
ITEMS: tuple[Item, ...] = (
    Item(
        "aove",
        ("Aceite, especias y salsas", "Aceite, vinagre y sal", "Aceite de oliva"),
        "Aceite de oliva virgen extra",
        1.0,
        "l",
        8.95,
        "Botella",
        "Aceite de oliva virgen extra.",
        "x99.",
        None,
        (900, 100, 14, 0, 0, 0, 0),
        (("Carbonell", 1.25), ("La Española", 1.18)),
        trend=0.12,
    ),
    Item(
        "aove5",
        ("Aceite, especias y salsas", "Aceite, vinagre y sal", "Aceite de oliva"),
        "Aceite de oliva virgen extra garrafa",
        5.0,
        "l",
        8.45,
        "Garrafa",
        "Aceite de oliva virgen extra.",
        "x99.",
        None,
        (900, 100, 14, 0, 0, 0, 0),
        trend=0.12,
    ),
    Item(
        "aceite-girasol",
        ("Aceite, especias y salsas", "Aceite, vinagre y sal", "Aceite de girasol"),
        "Aceite de girasol refinado",
        1.0,
        "l",
        1.75,
        "Botella",
        "Aceite de girasol refinado.",
        "x99.",
        None,
        (900, 100, 11, 0, 0, 0, 0),
        (("Koipesol", 1.45),),
    ),
    Item(
        "leche-entera",
        ("Huevos, leche y mantequilla", "Leche", "Leche entera"),
        "Leche entera",
        1.0,
        "l",
        0.99,
        "Brik",
        "Leche entera de vaca.",
        "Contiene leche y sus derivados (incluida la lactosa).",
        "Sin gluten.",
        (63, 3.6, 2.4, 4.7, 4.7, 3.1, 0.13),
        (("Central Lechera Asturiana", 1.35), ("Pascual", 1.3)),
        trend=0.06,
    ),
    Item(
        "leche-semi",
        ("Huevos, leche y mantequilla", "Leche", "Leche semidesnatada"),
        "Leche semidesnatada",
        1.0,
        "l",
        0.92,
        "Brik",
        "Leche semidesnatada de vaca.",
        "Contiene leche y sus derivados (incluida la lactosa).",
        "Sin gluten.",
        (46, 1.6, 1.0, 4.7, 4.7, 3.1, 0.13),
        (("Puleva", 1.3),),
        trend=0.06,
    ),
    Item(
        "leche-sin-lactosa",
        ("Huevos, leche y mantequilla", "Leche", "Leche sin lactosa"),
        "Leche semidesnatada sin lactosa",
        1.0,
        "l",
        1.09,
        "Brik",
        "Leche semidesnatada de vaca, enzima lactasa.",
        "Contiene leche y sus derivados.",
        "Sin lactosa. Sin gluten.",
        (46, 1.6, 1.0, 4.7, 4.7, 3.1, 0.13),
        (("Kaiku", 1.4),),
        trend=0.05,
    ),
    Item(
        "bebida-avena",
        ("Huevos, leche y mantequilla", "Bebidas vegetales", "Avena"),
        "Bebida de avena",
        1.0,
        "l",
        1.35,
        "Brik",
        "Agua, avena (14 %), aceite de girasol, sal.",
        "Contiene avena.",
        None,
        (45, 1.5, 0.2, 7.0, 4.0, 0.5, 0.1),
        (("Alpro", 1.6),),
    ),
    Item(
        "huevos",
        ("Huevos, leche y mantequilla", "Huevos", "Huevos frescos"),
        "Huevos frescos clase L",
        12.0,
        "ud",
        0.27,
        "Estuche",
        "Huevos frescos de gallina.",
        "Contiene huevos y productos a base de huevo.",
        None,
        (143, 9.9, 2.7, 0.7, 0.7, 12.6, 0.36),
    ),
    Item(
        "mantequilla",
        ("Huevos, leche y mantequilla", "Mantequilla y margarina", "Mantequilla"),
        "Mantequilla sin sal",
        0.25,
        "kg",
        10.4,
        "Pastilla",
        "Nata de leche pasteurizada.",
        "Contiene leche y sus derivados (incluida la lactosa).",
        None,
        (745, 82, 55, 0.6, 0.6, 0.6, 0.02),
        (("Central Lechera Asturiana", 1.3),),
    ),
    Item(
        "yogur-natural",
        ("Postres y yogures", "Yogures", "Yogur natural"),
        "Yogur natural pack 8 x 125 g",
        1.0,
        "kg",
        1.6,
        "Pack",
        "Leche de vaca, leche desnatada en polvo, fermentos lácticos.",
        "Contiene leche y sus derivados (incluida la lactosa).",
        "Sin gluten.",
        (62, 3.0, 2.0, 4.9, 4.9, 3.8, 0.15),
        (("Danone", 1.5),),
    ),
    Item(
        "queso-curado",
        ("Charcutería y quesos", "Queso curado", "Queso curado"),
        "Queso curado mezcla cuña",
        0.3,
        "kg",
        13.9,
        "Cuña",
        "Leche pasteurizada de vaca, oveja y cabra, sal, cuajo, fermentos lácticos, "
        "conservador (lisozima de huevo).",
        "Contiene leche y sus derivados (incluida la lactosa). Contiene huevo.",
        "Sin gluten.",
        (420, 34, 22, 0.5, 0.5, 26, 1.8),
        (("García Baquero", 1.3),),
    ),
    Item(
        "jamon-cocido",
        ("Charcutería y quesos", "Jamón cocido y fiambres", "Jamón cocido"),
        "Jamón cocido extra lonchas",
        0.25,
        "kg",
        11.6,
        "Bandeja",
        "Jamón de cerdo (90 %), sal, dextrosa, estabilizantes (E-451, E-407), antioxidante "
        "(E-316), conservador (E-250).",
        "x99.",
        "Sin gluten. Sin lactosa.",
        (105, 3.0, 1.1, 1.0, 1.0, 19, 1.9),
        (("El Pozo", 1.35), ("Campofrío", 1.4)),
    ),
    Item(
        "chorizo",
        ("Charcutería y quesos", "Embutido curado", "Chorizo"),
        "Chorizo extra sarta",
        0.25,
        "kg",
        10.2,
        "Sarta",
        "Magro y panceta de cerdo, pimentón, sal, ajo, lactosa, proteína de leche, "
        "dextrosa, conservadores (E-252, E-250).",
        "Contiene leche y sus derivados (incluida la lactosa).",
        None,
        (420, 35, 13, 2.0, 1.5, 24, 3.6),
        (("Revilla", 1.35),),
    ),
    Item(
        "pan-molde",
        ("Panadería y pastelería", "Pan de molde", "Pan de molde blanco"),
        "Pan de molde blanco sin corteza",
        0.45,
        "kg",
        3.2,
        "Bolsa",
        "Harina de trigo, agua, azúcar, aceite de girasol, levadura, sal, gluten de trigo.",
        "Contiene trigo y productos derivados. Puede contener soja, sésamo y leche.",
        None,
        (260, 4.0, 0.5, 47, 5.0, 8.5, 1.1),
        (("Bimbo", 1.45),),
    ),
    Item(
        "pan-sin-gluten",
        ("Panadería y pastelería", "Pan de molde", "Pan sin gluten"),
        "Pan de molde sin gluten",
        0.4,
        "kg",
        8.6,
        "Bolsa",
        "Almidón de maíz, agua, harina de arroz, aceite de girasol, fibra vegetal, levadura, "
        "azúcar, sal, espesante (E-464).",
        "Puede contener soja.",
        "Sin gluten.",
        (240, 5.0, 0.6, 44, 3.0, 1.5, 1.2),
        (("Schär", 1.3),),
    ),
    Item(
        "galletas-maria",
        ("Cacao, café e infusiones", "Galletas", "Galletas María"),
        "Galletas María",
        0.8,
        "kg",
        2.4,
        "Paquete",
        "Harina de trigo, azúcar, aceite de girasol, jarabe de glucosa, gasificantes, sal.",
        _GLUTEN_TRACES,
        None,
        (440, 12, 1.3, 74, 22, 7.5, 0.6),
        (("Gullón", 1.35), ("Cuétara", 1.4)),
    ),
    Item(
        "galletas-sin-gluten",
        ("Cacao, café e infusiones", "Galletas", "Galletas sin gluten"),
        "Galletas María sin gluten",
        0.2,
        "kg",
        8.9,
        "Paquete",
        "Almidón de maíz, azúcar, harina de arroz, aceite de girasol, huevo, gasificantes.",
        "Contiene huevo. Puede contener leche y soja.",
        "Sin gluten.",
        (450, 14, 1.5, 76, 20, 3.0, 0.5),
        (("Gullón", 1.2), ("Schär", 1.35)),
    ),
    Item(
        "galletas-chocolate",
        ("Cacao, café e infusiones", "Galletas", "Galletas de chocolate"),
        "Galletas con pepitas de chocolate",
        0.3,
        "kg",
        6.3,
        "Paquete",
        "Harina de trigo, pepitas de chocolate (28 %) (azúcar, pasta de cacao, manteca de "
        "cacao, emulgente lecitina de soja), azúcar, grasa vegetal, sal.",
        "Contiene trigo. Contiene soja. Puede contener leche, huevo y frutos de cáscara.",
        None,
        (490, 22, 11, 64, 33, 6.0, 0.7),
        (("Chips Ahoy", 1.4),),
    ),
    Item(
        "cacao-soluble",
        ("Cacao, café e infusiones", "Cacao soluble", "Cacao soluble"),
        "Cacao soluble instantáneo",
        0.76,
        "kg",
        5.2,
        "Bote",
        "Azúcar, cacao desgrasado en polvo (23 %), harina de trigo malteada, emulgente "
        "lecitina de soja, sal.",
        "Contiene trigo y soja. Puede contener leche.",
        None,
        (380, 3.5, 2.0, 78, 70, 6.5, 0.3),
        (("Cola Cao", 1.4), ("Nesquik", 1.35)),
    ),
    Item(
        "cafe-molido",
        ("Cacao, café e infusiones", "Café molido", "Café molido natural"),
        "Café molido natural",
        0.25,
        "kg",
        11.8,
        "Paquete",
        "Café tostado natural molido.",
        "x99.",
        None,
        (2, 0, 0, 0, 0, 0.2, 0),
        (("Marcilla", 1.35), ("Saimaza", 1.3)),
        trend=0.05,
    ),
    Item(
        "cafe-capsulas",
        ("Cacao, café e infusiones", "Café en cápsulas", "Cápsulas espresso"),
        "Café en cápsulas espresso 10 uds",
        0.052,
        "kg",
        44.0,
        "Caja",
        "Café tostado molido.",
        "x99.",
        None,
        None,
        (("L'Or", 1.35),),
    ),
    Item(
        "arroz",
        ("Arroz, legumbres y pasta", "Arroz", "Arroz redondo"),
        "Arroz redondo",
        1.0,
        "kg",
        1.45,
        "Paquete",
        "Arroz redondo.",
        "x99.",
        "Sin gluten.",
        (350, 0.6, 0.2, 78, 0.2, 7.0, 0),
        (("SOS", 1.4), ("La Fallera", 1.35)),
    ),
    Item(
        "macarrones",
        ("Arroz, legumbres y pasta", "Pasta", "Macarrones"),
        "Macarrones",
        0.5,
        "kg",
        1.7,
        "Paquete",
        "Sémola de trigo duro.",
        "Contiene trigo. Puede contener huevo y soja.",
        None,
        (355, 1.5, 0.3, 71, 3.5, 12.5, 0.01),
        (("Gallo", 1.4), ("Barilla", 1.5)),
    ),
    Item(
        "espaguetis-sg",
        ("Arroz, legumbres y pasta", "Pasta", "Pasta sin gluten"),
        "Espaguetis sin gluten",
        0.5,
        "kg",
        4.1,
        "Paquete",
        "Harina de maíz, harina de arroz, emulgente (mono y diglicéridos).",
        "x99.",
        "Sin gluten.",
        (355, 1.5, 0.3, 78, 0.5, 6.5, 0.01),
        (("Gallo", 1.3),),
    ),
    Item(
        "garbanzos",
        ("Arroz, legumbres y pasta", "Legumbres", "Garbanzos cocidos"),
        "Garbanzos cocidos frasco",
        0.57,
        "kg",
        1.6,
        "Frasco",
        "Garbanzos, agua, sal, antioxidante (E-385).",
        "x99.",
        "Sin gluten.",
        (118, 2.1, 0.3, 14, 0.5, 7.0, 0.6),
        (("Luengo", 1.4),),
    ),
    Item(
        "lentejas",
        ("Arroz, legumbres y pasta", "Legumbres", "Lentejas"),
        "Lentejas pardinas",
        1.0,
        "kg",
        2.35,
        "Paquete",
        "Lentejas pardinas.",
        "Puede contener trazas de gluten.",
        None,
        (310, 1.5, 0.2, 48, 2.0, 24, 0.02),
        (("Luengo", 1.35),),
    ),
    Item(
        "atun",
        ("Conservas, caldos y cremas", "Atún y bonito", "Atún claro"),
        "Atún claro en aceite de oliva pack 3 x 80 g",
        0.24,
        "kg",
        15.2,
        "Pack",
        "Atún claro, aceite de oliva, sal.",
        "Contiene pescado y productos a base de pescado.",
        None,
        (200, 12, 2.0, 0, 0, 25, 1.0),
        (("Calvo", 1.4), ("Isabel", 1.35)),
        trend=0.04,
    ),
    Item(
        "tomate-frito",
        ("Conservas, caldos y cremas", "Tomate", "Tomate frito"),
        "Tomate frito",
        0.4,
        "kg",
        2.4,
        "Frasco",
        "Tomate, aceite de girasol, azúcar, almidón modificado de maíz, sal, cebolla, ajo.",
        "x99.",
        "Sin gluten.",
        (80, 3.5, 0.4, 10, 7.0, 1.5, 1.0),
        (("Orlando", 1.35), ("Solís", 1.3)),
    ),
    Item(
        "mayonesa",
        ("Aceite, especias y salsas", "Salsas", "Mayonesa"),
        "Mayonesa",
        0.45,
        "kg",
        4.1,
        "Frasco",
        "Aceite de girasol (77 %), agua, yema de huevo (6 %), vinagre, sal, zumo de limón.",
        "Contiene huevo. Contiene mostaza.",
        "Sin gluten.",
        (700, 77, 6.5, 1.3, 1.0, 1.1, 1.4),
        (("Hellmann's", 1.4),),
    ),
    Item(
        "crema-cacao",
        ("Azúcar, caramelos y chocolate", "Cremas de cacao", "Crema de cacao"),
        "Crema de cacao con avellanas",
        0.5,
        "kg",
        4.9,
        "Tarro",
        "Azúcar, aceite de girasol, avellanas (13 %), cacao desgrasado (7,4 %), leche "
        "desnatada en polvo, emulgente lecitina de soja.",
        "Contiene frutos de cáscara. Contiene leche y soja. Puede contener cacahuete.",
        None,
        (545, 31, 5.0, 57, 55, 6.3, 0.1),
        (("Nocilla", 1.35), ("Nutella", 1.55)),
    ),
    Item(
        "chocolate-negro",
        ("Azúcar, caramelos y chocolate", "Chocolate", "Chocolate negro"),
        "Chocolate negro 70 % cacao",
        0.1,
        "kg",
        14.5,
        "Tableta",
        "Pasta de cacao, azúcar, manteca de cacao, emulgente lecitina de soja.",
        "Contiene soja. Puede contener leche y frutos de cáscara.",
        "Sin gluten.",
        (570, 42, 25, 30, 27, 9.0, 0.02),
        (("Valor", 1.3), ("Lindt", 1.9)),
        trend=0.1,
    ),
    Item(
        "cereales",
        ("Cereales y galletas", "Cereales", "Copos de maíz"),
        "Copos de maíz tostados",
        0.5,
        "kg",
        3.6,
        "Caja",
        "Maíz, azúcar, sal, extracto de malta de cebada.",
        "Contiene cebada. Puede contener frutos de cáscara.",
        None,
        (378, 0.9, 0.2, 84, 8.0, 7.0, 1.1),
        (("Kellogg's", 1.6),),
    ),
    Item(
        "avena",
        ("Cereales y galletas", "Cereales", "Copos de avena"),
        "Copos de avena integral",
        0.5,
        "kg",
        2.5,
        "Bolsa",
        "Copos de avena integral.",
        "Contiene avena. Puede contener trigo.",
        None,
        (370, 7.0, 1.2, 59, 1.0, 13, 0.01),
        (("Quaker", 1.5),),
    ),
    Item(
        "agua",
        ("Agua y refrescos", "Agua", "Agua mineral"),
        "Agua mineral natural garrafa",
        5.0,
        "l",
        0.17,
        "Garrafa",
        "Agua mineral natural.",
        "x99.",
        None,
        None,
        (("Font Vella", 1.6), ("Bezoya", 1.55)),
    ),
    Item(
        "refresco-cola",
        ("Agua y refrescos", "Refrescos", "Refresco de cola"),
        "Refresco de cola botella",
        2.0,
        "l",
        0.55,
        "Botella",
        "Agua carbonatada, azúcar, colorante (E-150d), acidulante (E-338), aromas, cafeína.",
        "x99.",
        None,
        (42, 0, 0, 10.6, 10.6, 0, 0),
        (("Coca-Cola", 2.1), ("Pepsi", 1.8)),
    ),
    Item(
        "zumo-naranja",
        ("Zumos", "Zumo de naranja", "Zumo exprimido"),
        "Zumo de naranja 100 % exprimido",
        1.0,
        "l",
        1.95,
        "Botella",
        "Zumo de naranja.",
        "x99.",
        None,
        (45, 0.1, 0, 10, 9.0, 0.7, 0),
        (("Don Simón", 1.3),),
        trend=0.07,
    ),
    Item(
        "cerveza",
        ("Bodega", "Cerveza", "Cerveza rubia"),
        "Cerveza rubia lata pack 6 x 33 cl",
        1.98,
        "l",
        1.45,
        "Pack",
        "Agua, malta de cebada, maíz, lúpulo.",
        "Contiene cebada.",
        None,
        (41, 0, 0, 3.2, 0.2, 0.4, 0),
        (("Mahou", 1.55), ("Estrella Galicia", 1.6)),
    ),
    Item(
        "vino-tinto",
        ("Bodega", "Vino tinto", "Rioja"),
        "Vino tinto D.O.Ca. Rioja crianza",
        0.75,
        "l",
        6.5,
        "Botella",
        "Vino tinto.",
        "Contiene sulfitos.",
        None,
        None,
        (("Campo Viejo", 1.4),),
    ),
    Item(
        "pollo",
        ("Carne", "Aves y pollo", "Pechuga de pollo"),
        "Filetes de pechuga de pollo",
        0.6,
        "kg",
        7.9,
        "Bandeja",
        "Pechuga de pollo.",
        None,
        None,
        (110, 1.5, 0.4, 0, 0, 23.5, 0.15),
    ),
    Item(
        "carne-picada",
        ("Carne", "Vacuno", "Carne picada"),
        "Preparado de carne picada mixta vacuno y cerdo",
        0.4,
        "kg",
        7.4,
        "Bandeja",
        "Carne de vacuno (50 %), carne de cerdo (50 %), sal, fibra vegetal, antioxidantes.",
        "x99.",
        "Sin gluten.",
        (220, 16, 6.5, 0.5, 0.5, 18, 1.0),
    ),
    Item(
        "salmon",
        ("Marisco y pescado", "Pescado fresco", "Salmón"),
        "Lomos de salmón",
        0.5,
        "kg",
        17.8,
        "Bandeja",
        "Salmón (Salmo salar).",
        "Contiene pescado.",
        None,
        (208, 13, 3.1, 0, 0, 20, 0.1),
        trend=0.06,
    ),
    Item(
        "gambas",
        ("Congelados", "Marisco", "Gambas"),
        "Gamba pelada congelada",
        0.3,
        "kg",
        19.5,
        "Bolsa",
        "Gamba (Pleoticus muelleri), agua, sal, antioxidante (E-331).",
        "Contiene crustáceos y productos a base de crustáceos.",
        None,
        (75, 0.8, 0.2, 0, 0, 16, 1.3),
    ),
    Item(
        "pizza",
        ("Congelados", "Pizzas", "Pizza congelada"),
        "Pizza congelada cuatro quesos",
        0.4,
        "kg",
        7.4,
        "Caja",
        "Harina de trigo, tomate, queso mozzarella (14 %), queso emmental, queso gouda, queso "
        "azul, agua, aceite de oliva, levadura, sal.",
        "Contiene trigo. Contiene leche. Puede contener huevo, soja y mostaza.",
        None,
        (260, 10, 5.2, 30, 3.0, 11, 1.2),
        (("Buitoni", 1.45), ("Casa Tarradellas", 1.4)),
    ),
    Item(
        "hummus",
        ("Charcutería y quesos", "Untables", "Hummus"),
        "Hummus de garbanzos",
        0.24,
        "kg",
        8.1,
        "Tarrina",
        "Garbanzo cocido (60 %), agua, pasta de sésamo (tahini), aceite de oliva, zumo de "
        "limón, ajo, sal.",
        "Contiene sésamo.",
        "Sin gluten.",
        (270, 20, 2.0, 12, 0.7, 7.0, 1.1),
    ),
    Item(
        "platano",
        ("Fruta y verdura", "Fruta", "Plátano"),
        "Plátano de Canarias IGP",
        1.0,
        "kg",
        2.39,
        "Granel",
        "Plátano de Canarias.",
        None,
        None,
        (94, 0.3, 0.1, 20, 17, 1.2, 0),
        trend=-0.08,
    ),
    Item(
        "tomate",
        ("Fruta y verdura", "Verdura", "Tomate"),
        "Tomate pera",
        1.0,
        "kg",
        2.15,
        "Granel",
        "Tomate pera.",
        None,
        None,
        (19, 0.2, 0, 3.5, 3.0, 0.9, 0.01),
        trend=-0.1,
    ),
    Item(
        "detergente",
        ("Limpieza y hogar", "Detergente y suavizante ropa", "Detergente"),
        "Detergente líquido ropa 40 lavados",
        2.0,
        "l",
        3.3,
        "Botella",
        None,
        None,
        None,
        None,
        (("Ariel", 1.9), ("Skip", 1.85)),
    ),
    Item(
        "papel-higienico",
        ("Limpieza y hogar", "Papel higiénico", "Papel higiénico"),
        "Papel higiénico doble capa 12 rollos",
        12.0,
        "ud",
        0.39,
        "Paquete",
        None,
        None,
        None,
        None,
        (("Scottex", 1.5),),
    ),
)


def _ean(prefix: str, serial: int) -> str:
    digits = f"{prefix}{serial:05d}"[:12].ljust(12, "0")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _shelf_price(value: float) -> Decimal:
    """Prices end in 5 or 9 cents more often than not, as on real shelves."""
    cents = round(value * 100)
    if cents > 100:
        cents = cents - cents % 10 + (5 if cents % 10 < 7 else 9)
    return Decimal(cents) / 100


def _history(rng: random.Random, start: Decimal, trend: float) -> list[tuple[datetime, Decimal]]:
    """Weekly prices, oldest first, keeping only the weeks where the price changed."""
    price = start
    points = [(LAST_DAY - timedelta(weeks=WEEKS), price)]
    change_weeks = set(rng.sample(range(1, WEEKS + 1), k=rng.choice((0, 0, 0, 1, 1, 2))))
    if trend:
        change_weeks |= {WEEKS - 2, WEEKS}
    for week in range(1, WEEKS + 1):
        if week not in change_weeks:
            continue
        step = trend / 2 if trend and week >= WEEKS - 2 else rng.uniform(-0.12, 0.12)
        new = _shelf_price(float(price) * (1 + step))
        if new != price and new > 0:
            price = new
            points.append((LAST_DAY - timedelta(weeks=WEEKS - week), price))
    return points


def _record(
    rng: random.Random,
    item: Item,
    chain: str,
    product_id: str,
    brand: str,
    ean: str,
    per_unit: float,
) -> dict[str, object]:
    size = item.size
    price = _shelf_price(per_unit * size * rng.uniform(0.96, 1.04))
    history = _history(rng, price, item.trend)
    final = history[-1][1]
    ref = _money(float(final) / size)
    drops_allergens = chain in ("alcampo", "carrefour") and rng.random() < 0.3
    record: dict[str, object] = {
        "chain": chain,
        "chain_product_id": product_id,
        "name": f"{item.name} {brand}",
        "brand": brand,
        "ean": ean,
        "category_path": list(item.category),
        "price": str(final),
        "reference_price": str(ref),
        "reference_unit": item.unit,
        "unit_size": size,
        "size_unit": item.unit,
        "packaging": item.packaging,
        "url": f"https://example.org/supersmart-sample/{chain}/{product_id}",
        "observed_at": LAST_DAY.isoformat(),
    }
    if item.ingredients:
        record["ingredients"] = item.ingredients
    if not drops_allergens and (item.allergens or item.mentions):
        from ingestion.allergens import parse_allergens

        info = parse_allergens(item.allergens, claims=(item.mentions, item.ingredients))
        record["allergens"] = info.model_dump(mode="json", exclude_none=True)
    if item.nutrition:
        keys = (
            "energy_kcal",
            "fat_g",
            "saturated_fat_g",
            "carbohydrates_g",
            "sugars_g",
            "protein_g",
            "salt_g",
        )
        record["nutrition"] = dict(zip(keys, item.nutrition, strict=True))
    record["price_history"] = [
        {
            "observed_at": at.isoformat(),
            "price": str(p),
            "reference_price": str(_money(float(p) / size)),
        }
        for at, p in history[:-1]
    ]
    return record


def generate(seed: int = 2026) -> list[dict[str, object]]:
    rng = random.Random(seed)
    records = []
    for number, item in enumerate(ITEMS, start=1):
        for chain, (store_brand, level, prefix) in CHAINS.items():
            if rng.random() < 0.12:  # not every chain carries every store-brand product
                continue
            records.append(
                _record(
                    rng,
                    item,
                    chain,
                    f"{number:03d}{rng.randint(100, 999)}",
                    store_brand,
                    _ean(prefix, number * 10 + 1),
                    item.per_unit * level,
                )
            )
        for brand_number, (brand, premium) in enumerate(item.national, start=1):
            ean = _ean("84" + f"{abs(hash_brand(brand)) % 100000:05d}", number * 10 + brand_number)
            for chain, (_, level, _) in CHAINS.items():
                if rng.random() < 0.25:
                    continue
                records.append(
                    _record(
                        rng,
                        item,
                        chain,
                        f"{number:03d}{brand_number}{rng.randint(100, 999)}",
                        brand,
                        ean,
                        item.per_unit * premium * level,
                    )
                )
    return records


def hash_brand(brand: str) -> int:
    """A stable (not per-process randomised) number for a brand name."""
    return sum((i + 1) * ord(ch) for i, ch in enumerate(brand))


def main(output: Path = SAMPLE_CATALOGUE, seed: int = 2026) -> None:
    records = generate(seed)
    with open(output, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    chains = {str(r["chain"]) for r in records}
    print(f"Wrote {len(records)} products in {len(chains)} chains to {output}")


if __name__ == "__main__":
    main()
