"""Deliveries in the service: storage, the request and dispatch services, flying, the demo."""
