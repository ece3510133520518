// fast-check, which effect's Schema imports for Arbitrary (property-based test data): hub
// never makes arbitraries, and the 50 KB of it cost every start time and memory. Anything
// that did use it would fail at once (its functions are missing), never silently.
"use strict"
module.exports = {}
