// berthctl: the human CLI for berth. It speaks CRI v1 gRPC to berthd (crictl's verbs and
// argument shapes) plus berth's Admin service; cli/app.cc holds the dispatch table and
// each verb family lives in its own file.
#include "cli/app.h"

int main(int argc, char** argv) { return berth::cli::berthctl_main(argc, argv); }
