/* version.h - one version for cirqued and cirquectl. */
#ifndef CIRQUE_VERSION_H
#define CIRQUE_VERSION_H
#define CIRQUE_VERSION "0.2.0"
#endif
