/* ctl_config.c - what cirquectl takes from the daemon's configuration file (-c FILE, else
 * /etc/cirque/cirque.yaml when readable): from its cirque: section the control endpoint, and
 * the daemon's CURVE public key derived from cirque.curve_secret_key_file when this user may
 * read that file. A minimal read of that one section (the daemon's loader wants the whole file
 * right): a watcher's mistake does not keep cirquectl from its daemon. */
#include "ctl.h"

#include "curve.h"
#include "xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

static const char *scalar_of(yaml_node_t *node)
{
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value
						      : NULL;
}

/* The value of KEY in mapping MAP, or NULL. */
static yaml_node_t *mapping_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const char *k = scalar_of(yaml_document_get_node(doc, pair->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/* A daemon bound to every address ("tcp://" "*:5555", as ZeroMQ writes it) is reached on
 * this host's loopback. */
static char *client_endpoint(const char *endpoint)
{
	if (strncmp(endpoint, "tcp://*:", 8) == 0)
		return xasprintf("tcp://127.0.0.1:%s", endpoint + 8);
	return xstrdup(endpoint);
}

int ctl_config_read(const char *path, struct ctl_config *out, char *why, size_t size)
{
	FILE *f = fopen(path, "re");
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *section, *node;
	const char *value;

	memset(out, 0, sizeof(*out));
	if (f == NULL) {
		snprintf(why, size, "%s", strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(why, size, "line %zu: %s", parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	section = mapping_get(&doc, yaml_document_get_root_node(&doc), "cirque");
	if ((node = mapping_get(&doc, section, "endpoint")) != NULL) {
		if ((value = scalar_of(node)) != NULL && *value)
			out->endpoint = client_endpoint(value);
		else
			snprintf(why, size, "cirque.endpoint is no string");
	}
	if ((value = scalar_of(mapping_get(&doc, section, "curve_secret_key_file"))) != NULL) {
		char secret[CURVE_KEY_LEN + 1], public_key[CURVE_KEY_LEN + 1];
		const char *cannot;
		out->curve_secret_key_file = xstrdup(value);
		if (curve_load_secret(value, secret, public_key, &cannot) == 0)
			out->curve_server_key = xstrdup(public_key);
		else
			out->curve_key_why = xstrdup(cannot);
		explicit_bzero(secret, sizeof(secret));
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return 0;
}

/* NODE as JSON: scalars as strings (the daemon reads them as the file's), mappings and
 * sequences as objects and arrays; bounded, as a command line is. */
static json_t *node_json(yaml_document_t *doc, yaml_node_t *node, int depth)
{
	json_t *out;

	if (node == NULL || depth > 16)
		return json_null();
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return json_string(scalar_of(node));
	case YAML_SEQUENCE_NODE:
		out = json_array();
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++)
			json_array_append_new(out, node_json(doc, yaml_document_get_node(doc, *it),
							     depth + 1));
		return out;
	case YAML_MAPPING_NODE:
		out = json_object();
		for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
		     p < node->data.mapping.pairs.top; p++) {
			const char *key = scalar_of(yaml_document_get_node(doc, p->key));
			if (key)
				json_object_set_new(out, key, node_json(doc,
						    yaml_document_get_node(doc, p->value), depth + 1));
		}
		return out;
	default:
		return json_null();
	}
}

json_t *ctl_flow_value(const char *text)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	json_t *out = NULL;

	if (text[0] != '{' && text[0] != '[')
		return NULL;
	if (!yaml_parser_initialize(&parser))
		return NULL;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	if (yaml_parser_load(&parser, &doc)) {
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (root && root->type != YAML_SCALAR_NODE)
			out = node_json(&doc, root, 0);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return out;
}
