/*-------------------------------------------------------------------------
 *
 * page_cache.c
 *	  A small direct-mapped cache of rendered pages (page_cache.h).
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "page_cache.h"

typedef struct slot
{
	char		key[160];
	page_entry	e;
	long long	stored_ms;
} slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot *slots;
static size_t n_slots;

static void
slot_clear(slot *s)
{
	free(s->e.body);
	free(s->e.gz);
	memset(s, 0, sizeof(*s));
}

void
page_cache_configure(const bridge_config *cfg)
{
	size_t		want = cfg->public_cache_s > 0 ? (size_t) cfg->public_cache_entries : 0;

	pthread_mutex_lock(&lock);
	if (want != n_slots)
	{
		for (size_t i = 0; i < n_slots; i++)
			slot_clear(&slots[i]);
		free(slots);
		slots = want ? calloc(want, sizeof(slot)) : NULL;
		n_slots = slots ? want : 0;
	}
	pthread_mutex_unlock(&lock);
}

static slot *
slot_of(const char *key)
{
	return &slots[mc_fnv1a(MC_FNV_OFFSET, key, strlen(key)) % n_slots];
}

int
page_cache_get(const bridge_config *cfg, const char *key, int want_gzip, page_entry *out)
{
	int			hit = 0;

	pthread_mutex_lock(&lock);
	if (n_slots > 0)
	{
		slot	   *s = slot_of(key);
		int			gz = want_gzip && s->e.gz != NULL;
		const char *src = gz ? s->e.gz : s->e.body;
		size_t		len = gz ? s->e.gz_len : s->e.len;

		if (s->e.body != NULL && strcmp(s->key, key) == 0 &&
			mono_ms() - s->stored_ms < (long long) cfg->public_cache_s * 1000 &&
			(out->body = malloc(len + 1)) != NULL)
		{
			memcpy(out->body, src, len);
			out->body[len] = '\0';
			out->len = len;
			out->gz = NULL;
			out->gzipped = gz;
			out->status = s->e.status;
			memcpy(out->etag, s->e.etag, sizeof(out->etag));
			hit = 1;
		}
	}
	pthread_mutex_unlock(&lock);
	return hit;
}

void
page_cache_put(const char *key, const page_entry *e)
{
	pthread_mutex_lock(&lock);
	if (n_slots > 0 && strlen(key) < sizeof(slots[0].key))
	{
		slot	   *s = slot_of(key);

		slot_clear(s);
		if ((s->e.body = malloc(e->len + 1)) != NULL)
		{
			memcpy(s->e.body, e->body, e->len);
			s->e.body[e->len] = '\0';
			s->e.len = e->len;
			if (e->gz != NULL && (s->e.gz = malloc(e->gz_len)) != NULL)
			{
				memcpy(s->e.gz, e->gz, e->gz_len);
				s->e.gz_len = e->gz_len;
			}
			s->e.status = e->status;
			memcpy(s->e.etag, e->etag, sizeof(s->e.etag));
			snprintf(s->key, sizeof(s->key), "%s", key);
			s->stored_ms = mono_ms();
		}
	}
	pthread_mutex_unlock(&lock);
}

void
page_cache_shutdown(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_slots; i++)
		slot_clear(&slots[i]);
	free(slots);
	slots = NULL;
	n_slots = 0;
	pthread_mutex_unlock(&lock);
}
