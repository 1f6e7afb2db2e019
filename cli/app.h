#pragma once
// berthctl's whole command line: global flags, the verb families, parse, run.
namespace berth::cli {

// Parses argv and runs the chosen verb; returns the process exit status. Output goes to
// std::cout / std::cerr (tests capture them).
int berthctl_main(int argc, const char* const* argv);

}  // namespace berth::cli
