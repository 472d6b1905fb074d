/* sipreply: symbol visibility for the public API.
 * The library builds with hidden visibility; SR_API marks what it exports. */
#ifndef SIPREPLY_EXPORT_H
#define SIPREPLY_EXPORT_H

#if defined(_WIN32)
#define SR_API
#elif defined(__GNUC__) || defined(__clang__)
#define SR_API __attribute__((visibility("default")))
#else
#define SR_API
#endif

#endif /* SIPREPLY_EXPORT_H */
