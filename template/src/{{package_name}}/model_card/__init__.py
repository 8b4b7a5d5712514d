"""The model card (R10): what it is written from (sources.py) and what it says (content.py).

scripts/generate_model_card.py is its command line; CI runs it before every image push.
"""
