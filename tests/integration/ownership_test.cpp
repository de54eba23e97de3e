// Adversarial ownership schemas with independent oracles: being written (issue 10).
#include "pg_fixture.hpp"
