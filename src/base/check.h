#pragma once
// Three kinds of assertion (after Envoy):
//  BERTH_CHECK(cond)  always fatal: carrying on could damage the host.
//  BERTH_DCHECK(cond) invariant checked in debug builds only.
//  BERTH_BUG(msg)     logs in release builds, aborts in debug builds.
#include <cstdio>
#include <cstdlib>

#include "base/log.h"

#define BERTH_CHECK(cond)                                                              \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "BERTH_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)

#ifdef NDEBUG
#define BERTH_DCHECK(cond) \
  do {                     \
  } while (false && (cond))
#define BERTH_BUG(msg) BERTH_LOG(err, "BUG at {}:{}: {}", __FILE__, __LINE__, (msg))
#else
#define BERTH_DCHECK(cond) BERTH_CHECK(cond)
#define BERTH_BUG(msg)                                                      \
  do {                                                                      \
    BERTH_LOG(critical, "BUG at {}:{}: {}", __FILE__, __LINE__, (msg));     \
    std::abort();                                                           \
  } while (false)
#endif
