/* version.h - the one place the ecsboot version string lives. */
#ifndef ECSB_VERSION_H
#define ECSB_VERSION_H

#define ECSB_VERSION "0.1.0"

#endif
