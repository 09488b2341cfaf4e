/*-------------------------------------------------------------------------
 *
 * lti_registry.c
 *	  The cache of platform registrations (lti_registry.h): a small table
 *	  under one mutex, entries copied in and out, the one stored longest
 *	  ago replaced first when the table is full.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lti_registry.h"

typedef struct entry
{
	login_row	row;			/* platform_id == NULL: a free slot */
	time_t		read_at;
	unsigned long seq;			/* order of storing: the lowest goes first */
} entry;

static entry table[LTI_REGISTRY_MAX];
static unsigned long next_seq;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void
login_row_free(login_row *l)
{
	free(l->problem);
	free(l->platform_id);
	free(l->platform_issuer);
	free(l->client_id);
	free(l->jwks_url);
	free(l->target_link_uri);
	json_decref(l->algorithms);
	json_decref(l->deployment_ids);
	memset(l, 0, sizeof(*l));
}

int
login_row_copy(const login_row *from, login_row *to)
{
	memset(to, 0, sizeof(*to));
	to->platform_id = dup_or_null(from->platform_id);
	to->platform_issuer = dup_or_null(from->platform_issuer);
	to->client_id = dup_or_null(from->client_id);
	to->jwks_url = dup_or_null(from->jwks_url);
	/* deep copies: the entry and the copy never share a jansson value between threads */
	to->algorithms = from->algorithms ? json_deep_copy(from->algorithms) : NULL;
	to->deployment_ids = from->deployment_ids ? json_deep_copy(from->deployment_ids) : NULL;
	if (to->platform_id == NULL || to->platform_issuer == NULL || to->client_id == NULL ||
		to->jwks_url == NULL || !json_is_array(to->algorithms) || !json_is_array(to->deployment_ids))
	{
		login_row_free(to);
		return -1;
	}
	return 0;
}

/* the slot of (issuer, client_id), or -1; under lock */
static int
find(const char *issuer, const char *client_id)
{
	for (int i = 0; i < LTI_REGISTRY_MAX; i++)
		if (table[i].row.platform_id != NULL && strcmp(table[i].row.platform_issuer, issuer) == 0 &&
			strcmp(table[i].row.client_id, client_id) == 0)
			return i;
	return -1;
}

int
lti_registry_get(const char *issuer, const char *client_id, login_row *out)
{
	int			i,
				found = 0;

	memset(out, 0, sizeof(*out));
	if (issuer == NULL || client_id == NULL)
		return 0;
	pthread_mutex_lock(&lock);
	i = find(issuer, client_id);
	if (i >= 0 && time(NULL) - table[i].read_at >= LTI_REGISTRY_TTL_S)
		login_row_free(&table[i].row);	/* expired */
	else if (i >= 0)
		found = login_row_copy(&table[i].row, out) == 0;
	pthread_mutex_unlock(&lock);
	return found;
}

void
lti_registry_put(const login_row *r)
{
	login_row	copy;
	int			i;

	if (r->platform_issuer == NULL || r->client_id == NULL || login_row_copy(r, &copy) != 0)
		return;
	pthread_mutex_lock(&lock);
	i = find(r->platform_issuer, r->client_id);
	if (i < 0)
	{
		/* a free slot, else the one stored longest ago */
		for (int k = 0; k < LTI_REGISTRY_MAX; k++)
			if (table[k].row.platform_id == NULL)
			{
				i = k;
				break;
			}
			else if (i < 0 || table[k].seq < table[i].seq)
				i = k;
	}
	login_row_free(&table[i].row);
	table[i].row = copy;
	table[i].read_at = time(NULL);
	table[i].seq = ++next_seq;
	pthread_mutex_unlock(&lock);
}

void
lti_registry_drop(const char *issuer, const char *client_id)
{
	int			i;

	if (issuer == NULL || client_id == NULL)
		return;
	pthread_mutex_lock(&lock);
	i = find(issuer, client_id);
	if (i >= 0)
		login_row_free(&table[i].row);
	pthread_mutex_unlock(&lock);
}

void
lti_registry_clear(void)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < LTI_REGISTRY_MAX; i++)
		login_row_free(&table[i].row);
	pthread_mutex_unlock(&lock);
}
