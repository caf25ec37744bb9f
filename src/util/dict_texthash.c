/*
 * NAME
 *	dict_texthash - texthash: tables (a text file read into memory)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_texthash_ops;
 * DESCRIPTION
 *	"texthash:/path/file" reads the same "key value" source file that
 *	"postern map" turns into a hash: table (see dict_file.c for comments
 *	and continuation lines), without building anything. The file is read
 *	whole at open and again after it changes.
 * DIAGNOSTICS
 *	Duplicate keys are logged with file:line; the first value counts. A
 *	line with a key and no value is logged and ignored (as postmap does).
 */
#include "dict.h"
#include "dict_file.h"
#include "dict_mem.h"
#include "msg.h"

static int
dict_texthash_open(DICT *dict, VSTRING *why)
{
	DICT_FILE *df;
	VSTRING	*line;
	char	*key, *value;
	int	 rc, lineno;

	if (dict_watch(dict, dict->name, why) < 0
	    || (df = dict_file_open(dict->name, why)) == NULL)
		return -1;
	line = vstring_alloc(128);
	dict_mem_init(dict);
	while ((rc = dict_file_read(df, line, &lineno, why)) > 0) {
		(void)dict_file_split(vstring_str(line), &key, &value);
		if (*value == 0)
			msg_warn("%s:%d: expected \"key whitespace value\"; "
			    "line ignored", dict->name, lineno);
		else if (dict_mem_add(dict, key, value) != 0)
			msg_warn("%s:%d: duplicate entry \"%s\" ignored",
			    dict->name, lineno, key);
	}
	dict_file_close(df);
	vstring_free(line);
	if (rc < 0) {
		dict_mem_close(dict);
		return -1;
	}
	return 0;
}

const DICT_OPS dict_texthash_ops = {
	"texthash", 1, dict_texthash_open, dict_mem_get, NULL, NULL,
	dict_mem_seq, NULL, dict_mem_close,
};
