"""The shop's domain services (orders, standard answers), plain Python, no Rasa imports."""
