// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs interface of the simulated Gunyah hypervisor: gunyah_sim/
 *
 * Read-only:
 *   counters		"name value" lines (struct gunyah_sim_counters)
 *   vms		one line per VM, key=value pairs
 *   parcels		one line per parcel, key=value pairs; acl=vmid:perms[*],... (* = holds it)
 *   last_request	msg_id= seq= len= error= fields=a,b,... (struct gunyah_sim_request)
 * Read-write knobs, numbers separated by spaces, decimal or 0x hex; reading shows the same:
 *   rx_drop		N			drop the next N RM-to-host fragments
 *   rx_duplicate	N			send the next N twice
 *   rx_corrupt		N [OFFSET [XOR]]	XOR (default 0xff) byte OFFSET (default 0) of
 *						the next N
 *   rx_delay		N MS			delay the next N by MS milliseconds each
 *   rpc_fail		NTH ERROR [MSG_ID [COUNT]]	answer the NTH next RPC (of MSG_ID)
 *						with RM error ERROR, and the COUNT - 1
 *						matching ones after it (default 1)
 *   rpc_lose_reply	NTH [MSG_ID]		handle the NTH next RPC (of MSG_ID) but lose
 *						its reply
 *   tx_full_ms		MS			msgq_send reports FULL for MS milliseconds
 *   vcpu_retry		N			the next N vcpu_run calls return RETRY
 *   rx_retry		N			the next N msgq_recv calls that find a message
 *						return RETRY (the message stays queued)
 *   reset_reply_early	0|1			see gunyah_sim_set_reset_reply_early()
 *   image_lend_only	0|1			see gunyah_sim_set_image_lend_only()
 *   parcel_limit	N			live parcels allowed (default 64), DENIED beyond
 * Write-only:
 *   inject_rx		hex bytes (spaces allowed): one raw fragment queued for the host
 */

#include <linux/array_size.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <gunyah/compat.h>

#include "sim_internal.h"

static int counters_show(struct seq_file *m, void *unused)
{
	struct gunyah_sim *sim = m->private;
	unsigned int i;

	for (i = 0; i < SIM_CNT_NR; i++)
		seq_printf(m, "%s %lld\n", sim_counter_name(i), atomic64_read(&sim->counters[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

static int vms_show(struct seq_file *m, void *unused)
{
	struct gunyah_sim *sim = m->private;
	struct gunyah_sim_vm_info info;
	unsigned long idx;
	struct sim_vm *vm;

	mutex_lock(&sim->rm.lock);
	xa_for_each(&sim->rm.vms, idx, vm) {
		sim_rm_fill_vm_info(sim, vm, &info);
		seq_printf(m,
			   "vmid=%u state=%u image=%#x dtb=%#llx+%#llx base=%#llx vcpus=%u doorbells=%u accepted=%u exited=%d exit_type=%u\n",
			   info.vmid, info.state, info.image_handle, info.dtb_offset,
			   info.dtb_size, info.base_address, info.n_vcpus, info.n_doorbells,
			   info.n_accepted, info.exited, info.exit_type);
	}
	mutex_unlock(&sim->rm.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vms);

static int parcels_show(struct seq_file *m, void *unused)
{
	struct gunyah_sim *sim = m->private;
	struct gunyah_sim_parcel_info info;
	struct sim_parcel *p;
	unsigned long idx;
	u32 i;

	mutex_lock(&sim->rm.lock);
	xa_for_each(&sim->rm.parcels, idx, p) {
		sim_parcel_fill_info(p, &info);
		seq_printf(m,
			   "handle=%u label=%#x type=%s mem_type=%u entries=%u bytes=%llu pending=%d accepted=%d acl=",
			   info.handle, info.label,
			   info.trans_type == GUNYAH_SIM_PARCEL_LEND ? "lend" : "share",
			   info.mem_type, info.n_entries, info.bytes, info.pending, info.accepted);
		for (i = 0; i < p->n_acl; i++)
			seq_printf(m, "%s%u:%u%s", i ? "," : "", p->acl[i].vmid, p->acl[i].perms,
				   p->acl[i].accepted ? "*" : "");
		seq_putc(m, '\n');
	}
	mutex_unlock(&sim->rm.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(parcels);

static int last_request_show(struct seq_file *m, void *unused)
{
	struct gunyah_sim_request req;
	u32 i;

	if (gunyah_sim_last_request(&req))
		return 0;
	seq_printf(m, "msg_id=%#x seq=%u len=%zu error=%#x fields=", req.msg_id, req.seq,
		   req.payload_len, req.rm_error);
	for (i = 0; i < req.n_fields; i++)
		seq_printf(m, "%s%#llx", i ? "," : "", req.fields[i]);
	seq_putc(m, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(last_request);

/**
 * struct sim_knob - a writable debugfs file
 * @name: file name
 * @min_args: fewest numbers a write must give
 * @max_args: most numbers a write may give
 * @show: print the current setting (same format as a write)
 * @store: apply the numbers written
 */
struct sim_knob {
	const char *name;
	unsigned int min_args;
	unsigned int max_args;
	void (*show)(struct seq_file *m, struct sim_faults *f);
	void (*store)(const u32 *v, unsigned int n);
};

static void rx_drop_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%u\n", f->rx_drop);
}

static void rx_drop_store(const u32 *v, unsigned int n)
{
	gunyah_sim_fault_rx_drop(v[0]);
}

static void rx_dup_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%u\n", f->rx_dup);
}

static void rx_dup_store(const u32 *v, unsigned int n)
{
	gunyah_sim_fault_rx_duplicate(v[0]);
}

static void rx_corrupt_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%u %u %#x\n", f->rx_corrupt, f->corrupt_offset, f->corrupt_xor);
}

static void rx_corrupt_store(const u32 *v, unsigned int n)
{
	gunyah_sim_fault_rx_corrupt(v[0], n > 1 ? v[1] : 0, n > 2 ? v[2] : 0xff);
}

static void rx_delay_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%u %u\n", f->rx_delay, f->delay_ms);
}

static void rx_delay_store(const u32 *v, unsigned int n)
{
	gunyah_sim_fault_rx_delay(v[0], v[1]);
}

static void rpc_fail_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%u %#x %#x %u\n", f->rpc_nth, f->rpc_error, f->rpc_msg_id,
		   f->rpc_nth ? f->rpc_count : 0);
}

static void rpc_fail_store(const u32 *v, unsigned int n)
{
	gunyah_sim_fault_rpc_repeat(v[0], n > 2 ? v[2] : 0, v[1], n > 3 ? v[3] : 1);
}

static void lose_reply_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%u %#x\n", f->lose_nth, f->lose_msg_id);
}

static void lose_reply_store(const u32 *v, unsigned int n)
{
	gunyah_sim_fault_lose_reply(v[0], n > 1 ? v[1] : 0);
}

static void tx_full_show(struct seq_file *m, struct sim_faults *f)
{
	long left = f->tx_full ? (long)(f->tx_full_until - jiffies) : 0;

	seq_printf(m, "%u\n", left > 0 ? jiffies_to_msecs(left) : 0);
}

static void tx_full_store(const u32 *v, unsigned int n)
{
	gunyah_sim_fault_tx_full(v[0]);
}

static void vcpu_retry_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%u\n", f->vcpu_retry);
}

static void vcpu_retry_store(const u32 *v, unsigned int n)
{
	gunyah_sim_fault_vcpu_retry(v[0]);
}

static void rx_retry_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%u\n", f->rx_retry);
}

static void rx_retry_store(const u32 *v, unsigned int n)
{
	gunyah_sim_fault_rx_retry(v[0]);
}

static void reset_early_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%d\n", f->reset_reply_early);
}

static void reset_early_store(const u32 *v, unsigned int n)
{
	gunyah_sim_set_reset_reply_early(v[0]);
}

static void lend_only_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%d\n", f->image_lend_only);
}

static void lend_only_store(const u32 *v, unsigned int n)
{
	gunyah_sim_set_image_lend_only(v[0]);
}

static void parcel_limit_show(struct seq_file *m, struct sim_faults *f)
{
	seq_printf(m, "%u\n", f->parcel_limit);
}

static void parcel_limit_store(const u32 *v, unsigned int n)
{
	struct gunyah_sim *sim = sim_get();
	unsigned long flags;

	if (!sim)
		return;
	spin_lock_irqsave(&sim->lock, flags);
	sim->faults.parcel_limit = v[0];
	spin_unlock_irqrestore(&sim->lock, flags);
}

static const struct sim_knob sim_knobs[] = {
	{ "rx_drop", 1, 1, rx_drop_show, rx_drop_store },
	{ "rx_duplicate", 1, 1, rx_dup_show, rx_dup_store },
	{ "rx_corrupt", 1, 3, rx_corrupt_show, rx_corrupt_store },
	{ "rx_delay", 2, 2, rx_delay_show, rx_delay_store },
	{ "rpc_fail", 2, 4, rpc_fail_show, rpc_fail_store },
	{ "rpc_lose_reply", 1, 2, lose_reply_show, lose_reply_store },
	{ "tx_full_ms", 1, 1, tx_full_show, tx_full_store },
	{ "vcpu_retry", 1, 1, vcpu_retry_show, vcpu_retry_store },
	{ "rx_retry", 1, 1, rx_retry_show, rx_retry_store },
	{ "reset_reply_early", 1, 1, reset_early_show, reset_early_store },
	{ "image_lend_only", 1, 1, lend_only_show, lend_only_store },
	{ "parcel_limit", 1, 1, parcel_limit_show, parcel_limit_store },
};

static int knob_show(struct seq_file *m, void *unused)
{
	const struct sim_knob *knob = m->private;
	struct gunyah_sim *sim = sim_get();
	struct sim_faults f;
	unsigned long flags;

	if (!sim)
		return -ENODEV;
	spin_lock_irqsave(&sim->lock, flags);
	f = sim->faults;
	spin_unlock_irqrestore(&sim->lock, flags);
	knob->show(m, &f);
	return 0;
}

static int knob_open(struct inode *inode, struct file *file)
{
	return single_open(file, knob_show, inode->i_private);
}

/**
 * knob_write() - parse "N [N [N]]" (decimal or 0x hex) and apply it to a knob
 * @file: the knob's file
 * @ubuf: user buffer
 * @count: its size, at most 127
 * @ppos: file position (ignored)
 *
 * Context: process context.
 * Return: @count, or -EINVAL (bad numbers), -E2BIG, -EFAULT, -ENOMEM.
 */
static ssize_t knob_write(struct file *file, const char __user *ubuf, size_t count, loff_t *ppos)
{
	const struct sim_knob *knob = ((struct seq_file *)file->private_data)->private;
	char *buf, *s, *tok;
	unsigned int n = 0;
	u32 v[4] = {};
	int ret = 0;

	if (count > 127)
		return -E2BIG;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	s = buf;
	while ((tok = strsep(&s, " \t\n")) && !ret) {
		if (!*tok)
			continue;
		if (n == knob->max_args)
			ret = -EINVAL;
		else
			ret = kstrtou32(tok, 0, &v[n++]);
	}
	kfree(buf);
	if (ret)
		return ret;
	if (n < knob->min_args)
		return -EINVAL;
	knob->store(v, n);
	return count;
}

static const struct file_operations knob_fops = {
	.owner		= THIS_MODULE,
	.open		= knob_open,
	.read		= seq_read,
	.write		= knob_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/**
 * inject_rx_write() - parse hex bytes (spaces allowed) and queue them as one fragment
 * @file: the file
 * @ubuf: user buffer
 * @count: its size
 * @ppos: file position (ignored)
 *
 * Context: process context.
 * Return: @count, or -EINVAL (bad hex, odd digit count, empty), -E2BIG, -EBUSY (queue full),
 * -EFAULT, -ENOMEM.
 */
static ssize_t inject_rx_write(struct file *file, const char __user *ubuf, size_t count,
			       loff_t *ppos)
{
	u8 frag[SIM_MSGQ_MSG_SIZE];
	size_t i, len = 0;
	int hi = -1, d;
	char *buf;
	int ret;

	if (count > 4 * SIM_MSGQ_MSG_SIZE)
		return -E2BIG;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	for (i = 0, ret = 0; i < count && !ret; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == ',')
			continue;
		d = hex_to_bin(buf[i]);
		if (d < 0 || (hi < 0 && len == sizeof(frag))) {
			ret = -EINVAL;
		} else if (hi < 0) {
			hi = d;
		} else {
			frag[len++] = hi << 4 | d;
			hi = -1;
		}
	}
	kfree(buf);
	if (!ret && (hi >= 0 || !len))
		ret = -EINVAL;
	if (!ret)
		ret = gunyah_sim_inject_rx(frag, len);
	if (ret)
		return ret;
	return count;
}

static const struct file_operations inject_rx_fops = {
	.owner		= THIS_MODULE,
	.open		= simple_open,
	.write		= inject_rx_write,
	.llseek		= noop_llseek,
};

/**
 * sim_debugfs_init() - create gunyah_sim/ in debugfs
 * @sim: the simulator
 *
 * Failures are not fatal (debugfs is optional); debugfs_remove_recursive() on
 * &gunyah_sim.debugfs removes everything.
 *
 * Context: process context (module init).
 */
void sim_debugfs_init(struct gunyah_sim *sim)
{
	unsigned int i;

	sim->debugfs = debugfs_create_dir("gunyah_sim", NULL);
	debugfs_create_file("counters", 0444, sim->debugfs, sim, &counters_fops);
	debugfs_create_file("vms", 0444, sim->debugfs, sim, &vms_fops);
	debugfs_create_file("parcels", 0444, sim->debugfs, sim, &parcels_fops);
	debugfs_create_file("last_request", 0444, sim->debugfs, sim, &last_request_fops);
	debugfs_create_file("inject_rx", 0200, sim->debugfs, sim, &inject_rx_fops);
	for (i = 0; i < ARRAY_SIZE(sim_knobs); i++)
		debugfs_create_file(sim_knobs[i].name, 0644, sim->debugfs,
				    (void *)&sim_knobs[i], &knob_fops);
}
