"""camfleet.model"""
