// malloc_count.hpp: count heap allocations (malloc_count.cpp).
#pragma once

// malloc_count: allocations so far by malloc, calloc, realloc, memalign,
// aligned_alloc, posix_memalign and operator new (which calls malloc).
long malloc_count();
