"""Form data shared by catalog tests."""

# The producer dashboard's "new product" form, filled in as a producer would.
PRODUCT = {
    "title": "Kuy silk scarf, indigo",
    "title_km": "ក្រមាសូត្រកួយ ពណ៌ខៀវ",
    "description": "Hand-woven on a floor loom.",
    "description_km": "ត្បាញដោយដៃ",
    "craft": "weaving",
    "category": "scarf",
    "material_0": "silk", "origin_0": "raised in Kampong Thom",
    "material_1": "indigo", "origin_1": "village garden",
    "material_2": "", "origin_2": "",
    "step_0": "dyeing with indigo", "method_0": "hand",
    "step_1": "spinning", "method_1": "machine",
    "step_2": "", "method_2": "hand",
    "makers": "Sreymom, Dara\nSophea",
    "dimensions": "180 x 50 cm",
    "weight_grams": "120",
    "care_notes": "Wash by hand in cold water.",
    "price": "12.50",
    "stock_mode": "stock",
    "stock_on_hand": "3",
    "lead_time_days": "",
    "monthly_capacity": "",
}
