# The course's short recipes. `just` lists them. Each is one cargo command,
# so everything also works without just installed.

# List the recipes
default:
    @just --list

# Grade your lessons (all, or one: `just grade echo`)
grade *LESSONS:
    cargo grade {{LESSONS}}

# Grade one stage of one lesson: `just stage echo half-close`
stage LESSON STAGE:
    cargo grade {{LESSON}} --stage {{STAGE}}

# Grade again on every save: `just watch echo`
watch *LESSONS:
    cargo grade --watch {{LESSONS}}

# Where you stand in the course, from your last runs
progress:
    cargo grade progress

# The hint of your next stage (or `just hint echo half-close`)
hint *ARGS:
    cargo grade hint {{ARGS}}

# Put a lesson (or one file) back as shipped: `just reset echo src/bin/server.rs`
reset LESSON *FILE:
    cargo grade reset {{LESSON}} {{FILE}}

# Grade the reference solutions (instructors)
solutions *LESSONS:
    cargo grade --solutions {{LESSONS}}

# List the lessons and their stages
list:
    cargo grade --list

# The course's own test suite: every reference earns full marks
test:
    cargo test

# Build the book into docs/book (open docs/book/index.html)
book:
    bash .ci/mdbook build docs

# Everything CI runs: fmt, clippy, the book, the tests
ci:
    bash .ci/run

# How fast grading and the tests are, warm (figures only)
bench-grade *ARGS:
    bash .ci/bench-grade {{ARGS}}

# The fetch reference beside curl, served by nginx (sendfile) when installed, else by
# the checker's HTTP peer (sendfile on Linux): paired speed ratios and peak memory (figures only)
bench-fetch *ROUNDS:
    bash .ci/bench-fetch {{ROUNDS}}

# The rpc reference: calls per second and round trips, beside a raw
# ping-pong and Pyro5 (figures only)
bench-rpc:
    bash .ci/bench-rpc

# The chat reference holding 10,000 clients, and its fan-out to 1,000,
# beside tokio's own chat example (figures only)
bench-chat *ARGS:
    bash .ci/bench-chat {{ARGS}}

# A long run of random and mutated DNS replies against the resolver's parser
fuzz-dns ROUNDS="5000000":
    DNS_FUZZ_ROUNDS={{ROUNDS}} cargo test -p resolver-solution --release fuzz
