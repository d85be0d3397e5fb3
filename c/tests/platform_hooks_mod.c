// SPDX-License-Identifier: GPL-2.0
/*
 * Platform hooks for the selftests (tests/selftests/teardown_test.c): a struct
 * gunyah_rm_platform_ops registered at load and unregistered at unload, whose hooks count what
 * they see and fail when told to.
 *
 * Both hooks count their calls, and the pages of the parcels they accepted, in total and per
 * parcel label; both can be made to fail for one label or for every parcel. They also check
 * what <gunyah/platform_hooks.h> promises them: the parcel's mem_handle is
 * GUNYAH_MEM_HANDLE_INVAL before a share and after a reclaim ("bad_handle" counts the calls
 * where it was not).
 *
 * debugfs, gunyah_platform_hooks/:
 *   counts             (read) "name value" lines: pre_share, post_reclaim (calls, refused ones
 *                      included), pre_share_refused, post_reclaim_refused, pre_share_pages,
 *                      post_reclaim_pages (pages of the calls that succeeded), bad_handle,
 *                      other_ops_calls (hooks of the ops that must never be registered),
 *                      label_overflow (calls of labels beyond the first PH_MAX_LABELS); then
 *                      one line per label: "label 0xL pre_share N pre_share_refused N
 *                      pre_share_pages N post_reclaim N post_reclaim_refused N
 *                      post_reclaim_pages N"
 *   fail_pre_share     (read-write) "RET [LABEL]": pre_share returns RET for parcels with
 *                      LABEL (decimal or 0x hex), or for every parcel without LABEL or with
 *                      LABEL -1. RET is a negative errno, or 0 to succeed again; a positive RET
 *                      is returned as it is (the VM manager must turn it into -EINVAL). Reads
 *                      "RET LABEL".
 *   fail_post_reclaim  (read-write) the same for post_mem_reclaim
 *   registered         (read-write) 1 while the ops are registered. Writing 0 unregisters
 *                      them, writing 1 registers them: the write fails with the errno of
 *                      gunyah_rm_register_platform_ops() (-EEXIST if they are registered).
 *   reset              (write-only) zero every count
 *
 * At load the module checks that gunyah_rm_register_platform_ops() refuses NULL with -EINVAL
 * and, once its own ops are registered, other ops and the same ops again with -EEXIST; the
 * load fails with -EINVAL (and a pr_err() line) otherwise.
 *
 * This is not a KUnit module: its name (gunyah_platform_hooks_mod) does not end in "_test", so
 * the guest does not load it on its own; the selftest loads and unloads it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/limits.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/uaccess.h>

#include <gunyah/platform_hooks.h>
#include <gunyah/rsc_mgr.h>

#define PH_MAX_LABELS	16
#define PH_ANY_LABEL	(-1LL)

enum ph_hook {
	PH_PRE_SHARE,
	PH_POST_RECLAIM,
	PH_NR_HOOKS,
};

static const char * const ph_hook_names[PH_NR_HOOKS] = {
	[PH_PRE_SHARE] = "pre_share",
	[PH_POST_RECLAIM] = "post_reclaim",
};

/**
 * struct ph_label_counts - what the hooks saw of the parcels of one label
 * @label: the label
 * @calls: calls of each hook
 * @refused: calls that returned the configured failure
 * @pages: pages of the parcels of the calls that succeeded
 */
struct ph_label_counts {
	u32 label;
	u64 calls[PH_NR_HOOKS];
	u64 refused[PH_NR_HOOKS];
	u64 pages[PH_NR_HOOKS];
};

/**
 * struct ph_counts - everything the hooks counted since load or the last reset
 * @calls: calls of each hook
 * @refused: calls that returned the configured failure
 * @pages: pages of the parcels of the calls that succeeded
 * @bad_handle: calls whose parcel had a mem_handle other than GUNYAH_MEM_HANDLE_INVAL
 * @other_ops_calls: calls of ph_other_ops's hooks (never registered, never called)
 * @label_overflow: calls for a label that found no free slot in @labels
 * @n_labels: used entries of @labels
 * @labels: per label, in the order the labels were first seen
 */
struct ph_counts {
	u64 calls[PH_NR_HOOKS];
	u64 refused[PH_NR_HOOKS];
	u64 pages[PH_NR_HOOKS];
	u64 bad_handle;
	u64 other_ops_calls;
	u64 label_overflow;
	unsigned int n_labels;
	struct ph_label_counts labels[PH_MAX_LABELS];
};

/**
 * struct ph_fail - a configured failure of a hook
 * @ret: what the hook returns; 0: it succeeds
 * @label: the parcels it applies to, or PH_ANY_LABEL
 */
struct ph_fail {
	int ret;
	s64 label;
};

/*
 * Protects ph_counts and ph_fails. Taken inside the hooks, which run with the VM manager's
 * platform-ops rw_semaphore read-held: never held while registering or unregistering.
 */
static DEFINE_MUTEX(ph_lock);
static struct ph_counts ph_counts;
static struct ph_fail ph_fails[PH_NR_HOOKS] = {
	[PH_PRE_SHARE] = { .label = PH_ANY_LABEL },
	[PH_POST_RECLAIM] = { .label = PH_ANY_LABEL },
};

/* Serialises registering and unregistering; protects ph_registered. Never taken in a hook. */
static DEFINE_MUTEX(ph_reg_lock);
static bool ph_registered;

static struct dentry *ph_dir;

/**
 * ph_label_find() - the counts of a label, allocated on first use
 * @label: the label
 *
 * Context: ph_lock held.
 * Return: the entry, or NULL if every slot is taken by other labels.
 */
static struct ph_label_counts *ph_label_find(u32 label)
{
	struct ph_label_counts *lc;
	unsigned int i;

	lockdep_assert_held(&ph_lock);

	for (i = 0; i < ph_counts.n_labels; i++)
		if (ph_counts.labels[i].label == label)
			return &ph_counts.labels[i];
	if (ph_counts.n_labels == PH_MAX_LABELS)
		return NULL;
	lc = &ph_counts.labels[ph_counts.n_labels++];
	lc->label = label;
	return lc;
}

/**
 * ph_parcel_pages() - the pages a parcel describes
 * @parcel: the parcel
 *
 * Context: any context.
 * Return: the sum of its memory entries' sizes, in pages.
 */
static u64 ph_parcel_pages(const struct gunyah_rm_mem_parcel *parcel)
{
	u64 bytes = 0;
	size_t i;

	for (i = 0; i < parcel->n_mem_entries; i++)
		bytes += parcel->mem_entries[i].size;
	return bytes >> PAGE_SHIFT;
}

/**
 * ph_hook() - what both hooks do: count, check the handle, fail if told to
 * @hook: which hook runs
 * @parcel: the parcel it was given
 *
 * Context: process context, may sleep; the VM manager's platform-ops lock read-held; takes
 * ph_lock.
 * Return: 0, or the configured failure if it applies to @parcel's label.
 */
static int ph_hook(enum ph_hook hook, const struct gunyah_rm_mem_parcel *parcel)
{
	const struct ph_fail *fail = &ph_fails[hook];
	struct ph_label_counts *lc;
	u64 pages = 0;
	int ret = 0;

	mutex_lock(&ph_lock);
	if (fail->ret && (fail->label == PH_ANY_LABEL || fail->label == parcel->label))
		ret = fail->ret;
	if (!ret)
		pages = ph_parcel_pages(parcel);

	ph_counts.calls[hook]++;
	ph_counts.pages[hook] += pages;
	if (ret)
		ph_counts.refused[hook]++;
	if (parcel->mem_handle != GUNYAH_MEM_HANDLE_INVAL)
		ph_counts.bad_handle++;

	lc = ph_label_find(parcel->label);
	if (lc) {
		lc->calls[hook]++;
		lc->pages[hook] += pages;
		if (ret)
			lc->refused[hook]++;
	} else {
		ph_counts.label_overflow++;
	}
	mutex_unlock(&ph_lock);

	return ret;
}

static int ph_pre_mem_share(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *parcel)
{
	return ph_hook(PH_PRE_SHARE, parcel);
}

static int ph_post_mem_reclaim(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *parcel)
{
	return ph_hook(PH_POST_RECLAIM, parcel);
}

static const struct gunyah_rm_platform_ops ph_ops = {
	.pre_mem_share = ph_pre_mem_share,
	.post_mem_reclaim = ph_post_mem_reclaim,
};

/* The ops the VM manager must refuse while ph_ops are registered: their hooks never run */
static int ph_other_hook(struct gunyah_rm *rm, struct gunyah_rm_mem_parcel *parcel)
{
	mutex_lock(&ph_lock);
	ph_counts.other_ops_calls++;
	mutex_unlock(&ph_lock);
	pr_err("a hook of the ops that were refused was called (label %u)\n", parcel->label);
	return -EIO;
}

static const struct gunyah_rm_platform_ops ph_other_ops = {
	.pre_mem_share = ph_other_hook,
	.post_mem_reclaim = ph_other_hook,
};

/* ---------------------------------------------------------------------------------------- */
/* debugfs                                                                                  */

/**
 * ph_counts_file_show() - the "counts" file: totals, then one line per label
 * @m: the seq_file
 * @unused: unused
 *
 * Context: process context; takes ph_lock.
 * Return: 0.
 */
static int ph_counts_file_show(struct seq_file *m, void *unused)
{
	const struct ph_label_counts *lc;
	unsigned int i;
	int h;

	mutex_lock(&ph_lock);
	for (h = 0; h < PH_NR_HOOKS; h++)
		seq_printf(m, "%s %llu\n", ph_hook_names[h], ph_counts.calls[h]);
	for (h = 0; h < PH_NR_HOOKS; h++)
		seq_printf(m, "%s_refused %llu\n", ph_hook_names[h], ph_counts.refused[h]);
	for (h = 0; h < PH_NR_HOOKS; h++)
		seq_printf(m, "%s_pages %llu\n", ph_hook_names[h], ph_counts.pages[h]);
	seq_printf(m, "bad_handle %llu\n", ph_counts.bad_handle);
	seq_printf(m, "other_ops_calls %llu\n", ph_counts.other_ops_calls);
	seq_printf(m, "label_overflow %llu\n", ph_counts.label_overflow);
	for (i = 0; i < ph_counts.n_labels; i++) {
		lc = &ph_counts.labels[i];
		seq_printf(m, "label %#x", lc->label);
		for (h = 0; h < PH_NR_HOOKS; h++)
			seq_printf(m, " %s %llu %s_refused %llu %s_pages %llu", ph_hook_names[h],
				   lc->calls[h], ph_hook_names[h], lc->refused[h], ph_hook_names[h],
				   lc->pages[h]);
		seq_putc(m, '\n');
	}
	mutex_unlock(&ph_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ph_counts_file);

static int ph_fail_show(struct seq_file *m, void *unused)
{
	const struct ph_fail *fail = m->private;
	struct ph_fail now;

	mutex_lock(&ph_lock);
	now = *fail;
	mutex_unlock(&ph_lock);
	seq_printf(m, "%d %lld\n", now.ret, now.label);
	return 0;
}

static int ph_fail_open(struct inode *inode, struct file *file)
{
	return single_open(file, ph_fail_show, inode->i_private);
}

/**
 * ph_fail_write() - set a hook's failure: "RET [LABEL]"
 * @file: fail_pre_share or fail_post_reclaim
 * @ubuf: user buffer
 * @count: its size
 * @ppos: file position (ignored)
 *
 * Context: process context; takes ph_lock.
 * Return: @count; -EINVAL if RET is missing, below -MAX_ERRNO or not a number, or LABEL is
 * neither -1 nor a u32, or more is written; -EFAULT.
 */
static ssize_t ph_fail_write(struct file *file, const char __user *ubuf, size_t count,
			     loff_t *ppos)
{
	struct ph_fail *fail = ((struct seq_file *)file->private_data)->private;
	struct ph_fail new = { .label = PH_ANY_LABEL };
	char buf[64], *s, *tok;
	int ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	s = strim(buf);
	tok = strsep(&s, " \t");
	ret = kstrtoint(tok, 0, &new.ret);
	if (ret)
		return ret;
	if (new.ret < -MAX_ERRNO)
		return -EINVAL;
	if (s) {
		s = skip_spaces(s);
		ret = kstrtos64(s, 0, &new.label);
		if (ret)
			return ret;
		if (new.label < PH_ANY_LABEL || new.label > U32_MAX)
			return -EINVAL;
	}

	mutex_lock(&ph_lock);
	*fail = new;
	mutex_unlock(&ph_lock);
	return count;
}

static const struct file_operations ph_fail_fops = {
	.owner = THIS_MODULE,
	.open = ph_fail_open,
	.read = seq_read,
	.write = ph_fail_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int ph_registered_show(struct seq_file *m, void *unused)
{
	bool registered;

	mutex_lock(&ph_reg_lock);
	registered = ph_registered;
	mutex_unlock(&ph_reg_lock);
	seq_printf(m, "%d\n", registered);
	return 0;
}

static int ph_registered_open(struct inode *inode, struct file *file)
{
	return single_open(file, ph_registered_show, NULL);
}

/**
 * ph_registered_write() - register (1) or unregister (0) the ops
 * @file: the file
 * @ubuf: user buffer: a boolean
 * @count: its size
 * @ppos: file position (ignored)
 *
 * Unregistering ops that are not registered does nothing (the VM manager would warn);
 * registering calls gunyah_rm_register_platform_ops() whatever the state, so that userspace
 * sees its -EEXIST.
 *
 * Context: process context; takes ph_reg_lock, and the VM manager's platform-ops lock for
 * writing.
 * Return: @count; -EINVAL; -EFAULT; or the errno of gunyah_rm_register_platform_ops().
 */
static ssize_t ph_registered_write(struct file *file, const char __user *ubuf, size_t count,
				   loff_t *ppos)
{
	bool reg;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &reg);
	if (ret)
		return ret;

	mutex_lock(&ph_reg_lock);
	if (reg) {
		ret = gunyah_rm_register_platform_ops(&ph_ops);
		if (!ret)
			ph_registered = true;
	} else if (ph_registered) {
		gunyah_rm_unregister_platform_ops(&ph_ops);
		ph_registered = false;
	}
	mutex_unlock(&ph_reg_lock);

	if (ret)
		return ret;
	return count;
}

static const struct file_operations ph_registered_fops = {
	.owner = THIS_MODULE,
	.open = ph_registered_open,
	.read = seq_read,
	.write = ph_registered_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static ssize_t ph_reset_write(struct file *file, const char __user *ubuf, size_t count,
			      loff_t *ppos)
{
	mutex_lock(&ph_lock);
	memset(&ph_counts, 0, sizeof(ph_counts));
	mutex_unlock(&ph_lock);
	return count;
}

static const struct file_operations ph_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = ph_reset_write,
	.llseek = noop_llseek,
};

/* ---------------------------------------------------------------------------------------- */
/* Module                                                                                   */

/**
 * ph_check_registration_refused() - the VM manager keeps one set of ops
 *
 * With ph_ops registered, registering other ops or ph_ops again must fail with -EEXIST. Other
 * ops that were accepted anyway are unregistered again.
 *
 * Context: process context (module init), ph_ops registered.
 * Return: 0, or -EINVAL after logging each answer that was wrong.
 */
static int ph_check_registration_refused(void)
{
	int ret, err = 0;

	ret = gunyah_rm_register_platform_ops(&ph_other_ops);
	if (ret != -EEXIST) {
		pr_err("registering a second set of platform ops returned %d, not -EEXIST\n", ret);
		if (!ret)
			gunyah_rm_unregister_platform_ops(&ph_other_ops);
		err = -EINVAL;
	}

	ret = gunyah_rm_register_platform_ops(&ph_ops);
	if (ret != -EEXIST) {
		pr_err("registering the same platform ops twice returned %d, not -EEXIST\n", ret);
		err = -EINVAL;
	}

	return err;
}

/**
 * ph_init() - check the refusals, register the ops, create the debugfs files
 *
 * Context: process context (module load).
 * Return: 0; the errno of gunyah_rm_register_platform_ops() (-EEXIST if other ops are
 * registered); or -EINVAL if NULL ops were not refused with -EINVAL or a check of
 * ph_check_registration_refused() failed.
 */
static int __init ph_init(void)
{
	int ret;

	/* NULL is refused before anything else is looked at */
	ret = gunyah_rm_register_platform_ops(NULL);
	if (ret != -EINVAL) {
		pr_err("registering NULL platform ops returned %d, not -EINVAL\n", ret);
		return -EINVAL;
	}

	ret = gunyah_rm_register_platform_ops(&ph_ops);
	if (ret) {
		pr_err("cannot register the platform ops: %d\n", ret);
		return ret;
	}

	ret = ph_check_registration_refused();
	if (ret) {
		gunyah_rm_unregister_platform_ops(&ph_ops);
		return ret;
	}
	ph_registered = true;

	ph_dir = debugfs_create_dir("gunyah_platform_hooks", NULL);
	debugfs_create_file("counts", 0444, ph_dir, NULL, &ph_counts_file_fops);
	debugfs_create_file("fail_pre_share", 0644, ph_dir, &ph_fails[PH_PRE_SHARE],
			    &ph_fail_fops);
	debugfs_create_file("fail_post_reclaim", 0644, ph_dir, &ph_fails[PH_POST_RECLAIM],
			    &ph_fail_fops);
	debugfs_create_file("registered", 0644, ph_dir, NULL, &ph_registered_fops);
	debugfs_create_file("reset", 0200, ph_dir, NULL, &ph_reset_fops);
	return 0;
}
module_init(ph_init);

/**
 * ph_exit() - remove the debugfs files, unregister the ops if they are registered
 *
 * Once gunyah_rm_unregister_platform_ops() returns, no hook of ph_ops runs (DOC: Platform
 * hooks in vm_mgr_mem.c), so the module may go even while VMs hold memory.
 *
 * Context: process context (module unload).
 */
static void __exit ph_exit(void)
{
	/* No write to "registered" runs once this returns */
	debugfs_remove_recursive(ph_dir);

	mutex_lock(&ph_reg_lock);
	if (ph_registered)
		gunyah_rm_unregister_platform_ops(&ph_ops);
	ph_registered = false;
	mutex_unlock(&ph_reg_lock);
}
module_exit(ph_exit);

MODULE_DESCRIPTION("Gunyah platform hooks that count and fail, for the VM manager's selftests");
MODULE_LICENSE("GPL");
