"""The demo tenant's documents (development only): a few texts any image the offline provider
describes will match, so the first search of `make run` finds something."""

DOCUMENTS = [
    ("Product photography guide", "How to shoot a bright, wide image of a product on a white or grey background; "
     "avoid dark shadows and mixed colours."),
    ("Brand colour palette", "Our colours: blue and green for the brand, orange for highlights, black and white text. "
     "Purple and red only in charts."),
    ("Night and low-light images", "Dark, mid-toned images taken at night: keep the black areas clean, lift the "
     "grey shadows, watch for brown noise."),
    ("Warehouse shelf labels", "Yellow and red labels on grey shelves; a tall image of each shelf shows every label."),
    ("Square social media images", "A square image, bright and mostly one colour, reads best in a feed; "
     "keep faces small and blurred when people did not agree."),
]
