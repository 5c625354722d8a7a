"""Support cases (offer of help) inside the social-services compartment."""
