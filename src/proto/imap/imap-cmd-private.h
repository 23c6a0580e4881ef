#ifndef CONFLUX_IMAP_CMD_PRIVATE_H
#define CONFLUX_IMAP_CMD_PRIVATE_H

/* Shared between the files of the server-side grammar only. */

#include "proto/imap/imap-cmd.h"

/* Parses buf[0..len) as a run of arguments (no tag, no name) into cmd's
 * arena without clearing cmd; prefix as in imap_cmd_parse_prefix() (sets
 * cmd->literal_* and returns 1). 0, 1, or -1 with cmd->error. */
int
imap_cmd_parse_args(struct imap_cmd *cmd, const char *buf, size_t len,
		    bool prefix, const struct imap_cmd_arg **args_r,
		    size_t *count_r);

#endif
