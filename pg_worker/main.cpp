// anonkit-worker entry point: everything lives in the library so tests can drive it.
#include "anonkit/pg/cli.hpp"

int main(int argc, char** argv) { return anonkit::pg::run_cli(argc, argv); }
