"""Going live: one description of a show's outputs, one service that starts and stops them."""
