"""What is measured: quantities, sensors, readings and rollups (issue 3)."""
