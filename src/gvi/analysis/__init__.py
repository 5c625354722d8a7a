"""Pure computation (no Django): suppression of small counts, chart geometry, later network and risk models."""
