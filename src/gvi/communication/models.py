"""Direct communication: call-ins, custom notifications and communicating back."""
