"""Weight-free default estimators, one module per family; importing this package registers them."""
