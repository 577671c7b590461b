"""Meetings: CIP meetings people can attend, with agendas built from needs."""
