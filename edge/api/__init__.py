"""Thin HTTP handlers: parse, call one domain function, return JSON."""
