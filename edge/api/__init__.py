"""The HTTP face: the app, thin handlers (parse, call one domain function, answer JSON), the API
description and the pages' files."""
