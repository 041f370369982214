"""One module per aggregate: plain functions that take the writer's connection and an actor,
check rules and permissions, and change state only through `edge.core.events.commit`."""
