"""The vocabulary every layer shares: calendar, service catalogue, declared parameters, the
service environment reforms act on, counter queues, and reform policies as specifications."""
