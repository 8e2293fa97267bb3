"""Cultural-heritage monitoring: sites, observations confirmed by a second reviewer, alerts."""
