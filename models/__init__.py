"""What is simulated: the care model schema and the model files."""
