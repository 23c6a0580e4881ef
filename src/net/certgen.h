#ifndef CONFLUX_CERTGEN_H
#define CONFLUX_CERTGEN_H

/* A self-signed server certificate for a fresh installation (conflux init):
 * EC P-256 key, SANs "localhost", 127.0.0.1, ::1 and `hostname`, valid for
 * 825 days. The key file is written with mode 0600, the cert with 0644;
 * both are fsynced. An administrator replaces them with real ones. */

int certgen_selfsigned(const char *cert_path, const char *key_path,
		       const char *hostname, char **error_r);

#endif
