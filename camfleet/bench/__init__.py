"""camfleet.bench"""
